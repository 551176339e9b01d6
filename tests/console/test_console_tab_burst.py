"""Tabs typed in one burst (a held key, fast typing: one read of the terminal) move one tab each,
and the table of the tab they stop on has the keys (`tabs.ConsoleTabs`): the first Tab's "pane
focused" message used to arrive after the next Tab had moved on and switch back, leaving the
focus on nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from test_app_tables import built_app, show
from test_console_field_keys import burst, settle

from tui_inventory.app.changes import ChangesView
from tui_inventory.app.inventory import InventoryView
from tui_inventory.app.main_screen import TABS
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


async def test_a_burst_of_tabs_moves_one_tab_each_with_the_keys_on_its_table(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, app, "services")
        at = TABS.index("tab-services")
        for tabs in (3, 3, 2, 2, 2, 1):
            burst(app, "\t" * tabs)
            await settle(pilot)
            at = (at + tabs) % len(TABS)
            assert app.main_screen.tabs.active == TABS[at]
            pane = app.main_screen.tabs.get_pane(TABS[at])
            view = pane.query_one("InventoryView, ChangesView")
            assert isinstance(view, InventoryView | ChangesView)
            table = view.table if isinstance(view, InventoryView) else view.feed
            assert app.focused is table, f"{tabs} Tabs: the focus is on {app.focused}"
