"""Reading the access log: the day files and their entries (for tests, `jq` works just as well on the files)."""

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from parley.accesslog.services import FILE_PATTERN, access_log_dir, access_log_path


def access_log_days() -> list[date]:
    """The UTC days that have a log file, oldest first."""
    directory = access_log_dir()
    if not directory.is_dir():
        return []
    days = []
    for child in directory.iterdir():
        match = FILE_PATTERN.match(child.name)
        if match:
            try:
                days.append(date.fromisoformat(match.group(1)))
            except ValueError:
                continue
    return sorted(days)


def access_log_entries(*, day: date) -> Iterator[dict[str, Any]]:
    """The entries of one UTC day, in the order they were written."""
    path = access_log_path(day)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
