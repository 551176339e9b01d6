"""What is known of one table query at one data version: its count, anchors, a search's matches.

How a table reads its rows: docs/architecture.md §7.
"""

from __future__ import annotations

import bisect
from array import array
from typing import Any

_MAX_ANCHORS = 20_000


class Plan:
    """What is known of one query at one data version: count, anchors, a search's ids."""

    def __init__(self) -> None:
        self.count: int | None = None
        self.matches: int | None = None  # a search's matches in the kind, status aside
        self.match: str | None = None  # SQLite: the search's FTS5 query
        self.broad: bool | None = None  # SQLite: whether it has more than MATERIALIZE matches
        self.ids: array[int] | None = None  # a small search's matching ids, in order
        self.statuses: list[tuple[str, int]] | None = None  # a search's matches by status
        self.anchors: dict[int, tuple[Any, str]] = {}  # position -> (sort value, key)
        self.positions: list[int] = []  # sorted keys of `anchors`
        self.statements: dict[tuple[bool, bool, str], tuple[str, list[Any]]] = {}

    def remember(self, pos: int, value: Any, key: str) -> None:
        if pos in self.anchors:
            return
        if len(self.positions) >= _MAX_ANCHORS:
            self.anchors.clear()
            self.positions.clear()
        self.anchors[pos] = (value, key)
        bisect.insort(self.positions, pos)
