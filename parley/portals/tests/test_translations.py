"""English and German are complete: every message of the German catalog is translated, none is fuzzy, and the
compiled catalog holds all of them."""

import re
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) per entry, obsolete entries skipped; plural msgstr[n] are joined."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid, msgstrs, current = "", [], None
        for line in lines:
            if line.startswith("msgid "):
                current, msgid = "id", line[6:].strip('"')
            elif line.startswith("msgid_plural"):
                current = "plural"
            elif re.match(r"msgstr(\[\d+\])? ", line):
                current = "str"
                msgstrs.append(line.split(" ", 1)[1].strip('"'))
            elif line.startswith('"') and current == "id":
                msgid += line.strip('"')
            elif line.startswith('"') and current == "str":
                msgstrs[-1] += line.strip('"')
        entries.append((msgid, "|".join(msgstrs) if all(msgstrs) else "", fuzzy))
    return [e for e in entries if e[0]]  # the header has an empty msgid


def test_the_german_catalog_is_complete_and_compiled():
    po = LOCALE / "de" / "LC_MESSAGES" / "django.po"
    entries = _entries(po)
    assert len(entries) > 150
    assert [e[0] for e in entries if not e[1]] == []
    assert [e[0] for e in entries if e[2]] == []
    # The compiled catalog holds every message of the source: it was compiled after the last change.
    import gettext

    with po.with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    missing = [
        msgid
        for msgid, _msgstr, _fuzzy in entries
        if "\\" not in msgid and msgid not in compiled._catalog and (msgid, 0) not in compiled._catalog
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("language", "text"),
    [("de", "Anmelden"), ("fr", "Se connecter"), ("it", "Accedi")],
)
def test_the_sign_in_button_is_translated(language, text):
    with translation.override(language):
        assert translation.gettext("Sign in") == text
