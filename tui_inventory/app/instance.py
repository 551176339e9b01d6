"""The instance view: PLACEHOLDER, to be replaced by the table work."""

from __future__ import annotations

from textual.screen import Screen


class InstanceScreen(Screen[None]):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__()
        self.kind = kind
        self.key = key
