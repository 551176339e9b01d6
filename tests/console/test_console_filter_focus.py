"""The filters' dropdowns give the keys back: after `f` (or `F` on the Changes tab) and a choice,
or esc, the table has the focus again and j, g and enter work at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import wait_for
from test_app_keys import the_feed
from test_app_tables import built_app, settled, show, view_of
from test_console_burst_keys import burst, settle
from textual.widgets._select import SelectOverlay

from tui_inventory.app.filters import FilterSelect
from tui_inventory.app.instance import InstanceScreen
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


async def test_a_status_chosen_with_f_gives_the_keys_back_to_the_table(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await show(pilot, app, "services")
        await wait_for(pilot, lambda: view_of(app, "services")._statuses, 5, "the statuses")
        await pilot.press("f")
        await wait_for(
            pilot, lambda: view_of(app, "services").query_one("#status", FilterSelect).expanded
        )
        await pilot.press("down", "enter")  # (from "All statuses", highlighted) the first status
        await wait_for(pilot, lambda: table.table_query.status is not None, 5, "the filter")
        await settled(pilot, table)
        assert app.focused is table
        assert table.total == 2  # (the simulator's 2 non-operational services)
        burst(app, "j")
        await wait_for(pilot, lambda: table.cursor == 1, 5, "j to move the cursor")
        burst(app, "g")
        await wait_for(pilot, lambda: table.cursor == 0, 5, "g to go to the first row")
        await pilot.press("f", "escape")  # esc closes the list: the table has the keys
        await settle(pilot)
        assert not view_of(app, "services").query_one("#status", FilterSelect).expanded
        assert app.focused is table
        burst(app, "\r")
        await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5, "enter")
        await wait_for(pilot, lambda: app.screen.is_mounted, 5, "the instance")
        await settle(pilot)


async def test_a_kind_of_change_chosen_with_capital_f_gives_the_keys_back_to_the_feed(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await the_feed(pilot, app)
        await pilot.press("F")
        await wait_for(pilot, lambda: view.query_one("#changes-change", FilterSelect).expanded)
        await pilot.press("down", "enter")  # (from "All changes", highlighted) created
        await wait_for(
            pilot, lambda: view.query_one("#changes-change", FilterSelect).value == "created"
        )
        await settle(pilot)
        assert app.focused is view.feed
        burst(app, "j")
        await wait_for(pilot, lambda: view.feed.cursor_row == 1, 5, "j to move the cursor")
        await pilot.press("F", "escape")
        await settle(pilot)
        assert app.focused is view.feed
        burst(app, "\r")
        await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5, "enter")
        await wait_for(pilot, lambda: app.screen.is_mounted, 5, "the instance")
        await settle(pilot)


async def test_a_dropdown_opens_on_the_choice_in_force_so_down_enter_takes_the_next(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    """`f` on Changes opens the list with "All inventories" (the choice in force) highlighted:
    down and enter take Services, the next one (it took "All inventories" again), and once more
    from Services, Carriers."""
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await the_feed(pilot, app)
        kinds = view.query_one("#changes-kind", FilterSelect)
        await pilot.press("f")
        await wait_for(pilot, lambda: kinds.expanded)
        assert kinds.query_one(SelectOverlay).highlighted == 0  # "All inventories"
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: kinds.value == "services", 5, "Services chosen")
        await settle(pilot)
        await pilot.press("f", "down", "enter")
        await wait_for(pilot, lambda: kinds.value == "carriers", 5, "Carriers chosen")
