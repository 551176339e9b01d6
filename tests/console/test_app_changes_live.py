"""The Changes feed follows the syncs while it is the tab on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_fixtures import Received, make_app, runs_ended, wait_for

from tui_inventory.app.changes import ChangesView
from tui_inventory.app.main import InventoryApp


async def after_a_buildup(pilot: Any, app: InventoryApp, ended: Received, tab: str) -> None:
    await pilot.press("b")
    await ended.wait(pilot, 1, 30, "the buildup")
    app.main_screen.show_tab(tab)


async def the_feed(pilot: Any, app: InventoryApp, ended: Received) -> ChangesView:
    await after_a_buildup(pilot, app, ended, "tab-changes")
    view = app.main_screen.query_one(ChangesView)
    await wait_for(pilot, lambda: view.feed.row_count > 0, 10, "the feed")
    return view


async def test_the_changes_feed_shows_an_update_while_it_is_on_screen(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=60, carriers=20, resources=60)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        view = await the_feed(pilot, app, ended)
        key = sorted(sim.dataset.expected_keys("carriers"))[0]
        sim.dataset.set_field("carriers", key, "Name", "Renamed while watching the feed")
        await pilot.press("u")
        await ended.wait(pilot, 2, 30, "the update")

        def newest_is_the_change() -> bool:
            revisions = list(view.revisions.values())
            return bool(revisions) and revisions[0].key == key and revisions[0].change == "changed"

        await wait_for(pilot, newest_is_the_change, 10, "the feed to show the update's change")


async def test_the_changes_feed_shows_the_removals_of_an_update_cleanup(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=60, carriers=20, resources=60)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        view = await the_feed(pilot, app, ended)
        key = sorted(app.store.keys("services"))[0]
        sim.dataset.set_field("services", key, "Status", "Retired")
        await pilot.press("u")
        await ended.wait(pilot, 2, 30, "the update")

        def removal_shown() -> bool:
            return any(r.key == key and r.change == "removed" for r in view.revisions.values())

        await wait_for(pilot, removal_shown, 10, "the feed to show the cleanup's removal")


async def test_a_status_filter_whose_rows_an_update_removed_stays_visible_and_undoable(
    make_sim: Any, tmp_path: Path
) -> None:
    from textual.widgets import Select

    from tui_inventory.app.inventory import InventoryView

    sim = make_sim(services=60, carriers=20, resources=60)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        await after_a_buildup(pilot, app, ended, "tab-services")
        view = next(v for v in app.main_screen.query(InventoryView) if v.kind == "services")
        status = next(
            r.status for r in app.store.iter_instances("services") if r.status != "Operational"
        )
        select = view.query_one("#status", Select)
        await wait_for(
            pilot,
            lambda: view._statuses is not None and any(s == status for s, _ in view._statuses),
            10,
            "the status choices",
        )
        select.value = status
        await wait_for(pilot, lambda: view.table.table_query.status == status, 10)
        await wait_for(pilot, lambda: view.table.total > 0, 10, "the filtered rows")
        sim.dataset.tick()
        await pilot.press("u")  # the update's cleanup removes every service not Operational
        await ended.wait(pilot, 2, 30, "the update")
        await wait_for(pilot, lambda: view.table.total == 0, 10, "the empty filtered table")
        await wait_for(
            pilot,
            lambda: view._statuses is not None and all(s != status for s, _ in view._statuses),
            10,
        )
        await pilot.pause()
        assert select.value == status  # still shown as the filter in force
        select.clear()  # "All statuses"
        await wait_for(pilot, lambda: view.table.table_query.status is None, 10, "the filter off")
        await wait_for(pilot, lambda: view.table.total == app.store.count("services"), 10)
