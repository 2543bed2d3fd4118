"""Page patterns: which pages of a tenant's website offer an expert (or show the proactive invitation).

A pattern is a URL path, one per line, in which `*` stands for any characters (slashes included):
`/loans/*` matches `/loans/car` and `/loans/car/new`, and also the section's own page `/loans` (or `/loans/`), but
not `/loansx`; `/loans*` does match `/loansx`. `?`, `[` and `]` are ordinary characters. A trailing slash does not
matter (`/contact` and `/contact/` are the same page), case does.
Percent-escapes are decoded on both sides, so `/käse` matches the `/k%C3%A4se` a browser reports.
"""

from fnmatch import fnmatchcase
from urllib.parse import unquote

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PATTERNS = 50
MAX_PATTERN_LENGTH = 200


def normalise_path(path: str) -> str | None:
    """The path part of `path` (query and fragment dropped, percent-escapes decoded, no trailing slash except for
    the root); None if it does not start with "/"."""
    path = path.strip().split("#", 1)[0].split("?", 1)[0]
    if not path.startswith("/"):
        return None
    return _strip_slash(unquote(path))


def _strip_slash(path: str) -> str:
    return path.rstrip("/") or "/"


def _pattern_lines(patterns: str) -> list[str]:
    return [line.strip() for line in patterns.splitlines() if line.strip()]


def _matches(path: str, pattern: str) -> bool:
    if not pattern.startswith("/"):
        return False  # stored patterns are validated; anything else never matches
    pattern = _strip_slash(unquote(pattern))
    # Only * is a wildcard: escape fnmatch's other special characters.
    escaped = "".join("[?]" if c == "?" else "[[]" if c == "[" else c for c in pattern)
    if fnmatchcase(path, escaped):
        return True
    # "/loans/*" also covers the section's own page "/loans".
    return escaped.endswith("/*") and fnmatchcase(path, escaped[:-2] or "/")


def page_matches(path: str, include: str, exclude: str) -> bool:
    """Whether the page `path` is covered by the patterns `include` (one per line; empty: every page) and by none
    of the patterns `exclude` (one per line). A path that does not start with "/" matches nothing."""
    normalised = normalise_path(path)
    if normalised is None:
        return False
    if any(_matches(normalised, pattern) for pattern in _pattern_lines(exclude)):
        return False
    includes = _pattern_lines(include)
    return not includes or any(_matches(normalised, pattern) for pattern in includes)


def clean_path_patterns(text: str) -> str:
    """Validate and normalise page patterns typed by an admin: one per line, each starting with "/", no spaces,
    no query or fragment, at most MAX_PATTERN_LENGTH characters and MAX_PATTERNS lines; blank lines and
    duplicates are dropped. Raises ValidationError naming the first bad line."""
    cleaned: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        error = _pattern_error(line)
        if error:
            raise ValidationError(
                _("Line %(number)s (“%(line)s”): %(error)s") % {"number": number, "line": _shorten(line), "error": error},
                code="invalid_pattern",
            )
        if line not in cleaned:
            cleaned.append(line)
    if len(cleaned) > MAX_PATTERNS:
        raise ValidationError(_("At most %(n)s patterns, one per line.") % {"n": MAX_PATTERNS}, code="too_many_patterns")
    return "\n".join(cleaned)


def _pattern_error(line: str) -> str | None:
    if len(line) > MAX_PATTERN_LENGTH:
        return _("a pattern may have at most %(n)s characters.") % {"n": MAX_PATTERN_LENGTH}
    if not line.startswith("/"):
        return _("a pattern is a path and starts with “/”, e.g. /loans/*")
    if any(c.isspace() for c in line):
        return _("a pattern contains no spaces.")
    if "?" in line or "#" in line:
        return _("leave out the query (?…) and the fragment (#…); patterns match the path only.")
    return None


def _shorten(line: str, limit: int = 60) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"
