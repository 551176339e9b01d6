"""The console's main screen: header, the tabs (dashboard, the three inventories, changes), footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, TabbedContent, TabPane

from tui_inventory import KINDS
from tui_inventory.tmf.definitions import DEFINITIONS

from .changes import ChangesView
from .dashboard import Dashboard
from .footer import ConsoleFooter
from .inventory import InventoryView
from .tabs import ConsoleTabs
from .textkeys import focus_now
from .worker import SyncWorker

TABS = ("tab-dashboard", *(f"tab-{k}" for k in KINDS), "tab-changes")


class MainScreen(Screen[None]):
    """Header, the tabs (dashboard, the three inventories, changes), footer."""

    # Below 36 rows (an 80×24 terminal) the dashboard drops its blank lines: see theme.tcss.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    BINDINGS = [
        Binding("tab", "next_tab", "Next tab", show=False),
        Binding("shift+tab", "previous_tab", "Previous tab", show=False),
    ]

    def __init__(self, sync: SyncWorker) -> None:
        super().__init__(id="main")
        self.sync = sync

    def compose(self) -> ComposeResult:
        yield Header()
        with ConsoleTabs(id="tabs", initial="tab-dashboard"):
            with TabPane("Dashboard", id="tab-dashboard"):
                yield Dashboard()
            for kind in KINDS:
                with TabPane(DEFINITIONS[kind].title, id=f"tab-{kind}"):
                    yield InventoryView(kind)
            with TabPane("Changes", id="tab-changes"):
                yield ChangesView()
        yield ConsoleFooter(compact=True)
        yield self.sync

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#tabs", TabbedContent)

    def show_tab(self, tab: str) -> None:
        self.tabs.active = tab
        pane = self.tabs.get_pane(tab)
        # The pane's first control that is not a text box, so letters stay keys, not text.
        for widget in pane.query("*"):
            if widget.focusable and not isinstance(widget, Input):
                focus_now(widget)  # (before the keys that follow: / then focuses the search)
                return
        self.set_focus(None)

    def on_tabbed_content_tab_activated(self) -> None:
        self.app.refresh_bindings()  # the footer shows the keys of the tab shown

    def action_next_tab(self) -> None:
        self.show_tab(TABS[(TABS.index(self.tabs.active) + 1) % len(TABS)])

    def action_previous_tab(self) -> None:
        self.show_tab(TABS[(TABS.index(self.tabs.active) - 1) % len(TABS)])
