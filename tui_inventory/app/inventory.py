"""Inventory tables: PLACEHOLDER, to be replaced by the table work."""

from __future__ import annotations

from textual.widget import Widget


class InventoryView(Widget):
    """One definition's table with search, status filter and sorting."""

    def __init__(self, kind: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.kind = kind
