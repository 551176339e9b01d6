"""The Changes feed: PLACEHOLDER, to be replaced by the table work."""

from __future__ import annotations

from textual.widget import Widget


class ChangesView(Widget):
    """The latest revisions across all three inventories, newest first."""
