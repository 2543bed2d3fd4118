"""The promise map docs/privacy-promises.md cannot rot silently: every promise P01-P31 is in it, every test it
names exists, and every promise it does not mark "not built yet" or "deployment" is named by a test (in the test's
name or docstring). Read with the ast module: no test module is imported."""

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MAP = ROOT / "docs" / "privacy-promises.md"
TEST_ROOTS = ("parley", "tests")
PROMISES = [f"P{n:02d}" for n in range(1, 32)]
EXEMPT = ("not built yet", "deployment")  # statuses that need no test naming the promise

ROW = re.compile(r"^\|\s*(P\d\d)\s*\|(.*)\|\s*$")
TEST_REF = re.compile(r"`([\w./-]+\.py)::(\w+)`")
# "P05", "test_p10_p05_...": a promise id not glued to other letters or digits.
PROMISE_ID = re.compile(r"(?<![A-Za-z0-9])[Pp](0[1-9]|[12][0-9]|3[01])(?![0-9])")


@cache
def map_rows() -> dict[str, list[str]]:
    """Promise id -> the cells of its table row (promise, status, mechanism, tests)."""
    rows: dict[str, list[str]] = {}
    for line in MAP.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} has two rows in {MAP.name}"
            rows[match.group(1)] = [cell.strip() for cell in re.split(r"(?<!\\)\|", match.group(2))]
    return rows


def _tests_in(tree: ast.AST) -> list[tuple[str, str]]:
    """(name, docstring) of every test function and test class in a module, nested ones included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name.lower().startswith("test"):
            found.append((node.name, ast.get_docstring(node) or ""))
    return found


@cache
def _test_modules() -> dict[str, list[tuple[str, str]]]:
    """Relative path -> its tests, for every test file under parley/ and tests/."""
    modules = {}
    for top in TEST_ROOTS:
        for path in sorted((ROOT / top).rglob("test*.py")):
            if ".venv" in path.parts or "node_modules" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            modules[path.relative_to(ROOT).as_posix()] = _tests_in(tree)
    return modules


def test_every_promise_p01_to_p31_has_one_row_in_the_map() -> None:
    rows = map_rows()
    assert sorted(rows) == PROMISES, f"missing: {set(PROMISES) - set(rows)}, unknown: {set(rows) - set(PROMISES)}"
    for promise, cells in rows.items():
        assert len(cells) == 4, f"{promise}: expected promise | status | mechanism | tests, got {len(cells)} cells"
        assert all(cells[:3]), f"{promise}: an empty promise, status or mechanism cell"


def test_every_test_the_map_names_exists() -> None:
    modules = _test_modules()
    references = [(p, f, n) for p, cells in map_rows().items() for f, n in TEST_REF.findall(cells[3])]
    assert len(references) > 31  # the parser found the references at all
    missing = [
        f"{promise}: {file}::{name}"
        for promise, file, name in references
        if name not in {test for test, _doc in modules.get(file, [])}
    ]
    assert not missing, "the map names tests that do not exist:\n" + "\n".join(missing)


def test_every_promise_the_map_calls_built_is_named_by_a_test() -> None:
    named: dict[str, list[str]] = {p: [] for p in PROMISES}
    for file, tests in _test_modules().items():
        for name, doc in tests:
            for number in set(PROMISE_ID.findall(f"{name} {doc}")):
                named[f"P{number}"].append(f"{file}::{name}")
    unnamed = []
    for promise, cells in map_rows().items():
        status = cells[1].lower()
        if any(status.startswith(word) for word in EXEMPT):
            continue
        if not named[promise]:
            unnamed.append(promise)
    assert not unnamed, f"promises marked as kept that no test names in its name or docstring: {unnamed}"


def test_a_promise_marked_not_built_names_no_tests_and_says_so() -> None:
    for promise, cells in map_rows().items():
        if cells[1].lower().startswith("not built yet"):
            assert not TEST_REF.findall(cells[3]), f"{promise} is not built yet but names tests"
            assert "not built yet" in cells[2].lower(), f"{promise}: say plainly that it is not built yet"
