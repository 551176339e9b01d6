"""What a table asks of an inventory (`TableQuery`) and the rows it reads back.

How a table reads them: docs/architecture.md §7.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui_inventory.store.search import complete, search_terms

SORTS: tuple[str, ...] = ("key", "name", "status", "type", "site", "updated_at")


@dataclass(frozen=True)
class Row:
    id: int
    key: str
    name: str
    status: str
    type: str
    site: str
    updated_at: str


@dataclass(frozen=True)
class TableQuery:
    kind: str
    sort: str = "key"  # one of SORTS
    descending: bool = False
    status: str | None = None
    search: str | None = None

    def normalized(self) -> TableQuery:
        """The same query with its search in canonical form (None when it has no terms)."""
        if self.sort not in SORTS:
            raise ValueError(f"cannot sort by {self.sort!r}")
        text = self.search or ""
        terms = search_terms(text)
        search = (" ".join(terms) + (" " if complete(text) else "")) if terms else None
        return self if search == self.search else replace(self, search=search)
