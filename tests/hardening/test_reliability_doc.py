"""docs/reliability.md names a test for every case: each test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
# `tests/x.py::test_name[variant]`, or `::test_name` for the file named last before it
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)")


def test_every_test_the_reliability_table_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named: list[tuple[str, str]] = []
    path = ""
    for match in REFERENCE.finditer(text):
        path = match.group(1) or path
        named.append((path, match.group(2)))
    assert len(named) > 60
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]
    assert missing == []


def test_every_case_of_the_issue_has_a_row() -> None:
    text = DOC.read_text(encoding="utf-8")
    for case in (
        "Retry-After",
        "401 in the middle of a run",
        "blackholed network",
        "HTML error page",
        "Truncated JSON",
        "50 MB page",
        "entities are not objects",
        "Wrong types in every field",
        "Inserts and deletes upstream while paging",
        "same page served twice",
        "endless sequence of full pages",
        "empty listing for a type of 10,000",
        "A gap anywhere in a buildup",
        "SIGKILL during a page write",
        "SIGKILL during a cleanup",
        "The disk fills during a write",
        "database directory is read-only",
        "reading and scrolling while the worker writes",
        "Two syncs at once",
        "self-signed upstream",
        "redirect to another host",
        "Proxy variables",
        "After full runs with failures",
        "No backend",
        "null backend",
        "backend that hangs",
        "locked backend",
        "escape sequences",
    ):
        assert case in text, case
