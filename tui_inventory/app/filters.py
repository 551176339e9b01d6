"""The filters' dropdowns (a status, an inventory, a kind of change): once the list closes, with a
choice or with esc, the keys go back to the table they filter, so j, g and enter work at once.

Textual's `Select` keeps the focus after its list closes; here the focus it takes back is handed on
to `home` (the table). Esc on a closed dropdown (reached with tab) also goes back to the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from .textkeys import focus_now


class FilterSelect(Select[str]):
    """A filter's dropdown that hands the keys back to `home()` when its list closes. Its list
    is as wide as its longest option (wider than the box on a narrow terminal): an option is never
    wrapped mid-word ("Non-Operationa/l"); one wider than the screen is cut with `…`."""

    DEFAULT_CSS = """
    FilterSelect > SelectOverlay { width: auto; min-width: 100%; max-width: 60; }
    FilterSelect > SelectOverlay > .option-list--option { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "home", "Back to the table", show=False),
    ]

    def __init__(self, options: Any, *, home: Callable[[], Widget], **kw: Any) -> None:
        super().__init__(options, **kw)
        self.home = home
        self._was_open = False

    def open(self) -> None:
        """Show the list, with the keys on it."""
        focus_now(self)
        self.expanded = True

    def _watch_expanded(self, expanded: bool) -> None:
        super()._watch_expanded(expanded)
        if expanded:
            self._was_open = True
            if self.value is self.NULL and self._allow_blank:
                # The current choice ("All …", the blank option) is highlighted, as any other
                # value is: down then enter takes the next one, not the one in force again.
                self.query_one(SelectOverlay).select(0)

    def on_focus(self, event: events.Focus) -> None:
        if self._was_open and not self.expanded:
            # The list just closed and Select took the focus back: it belongs to the table.
            self._was_open = False
            self.action_home()

    def action_home(self) -> None:
        self.expanded = False
        focus_now(self.home())
