"""`/` and the keys typed right after it, in one burst (a paste, fast typing over SSH), on the
screens without a table search: everything after `/` belongs to a text field, so no letter of it
may start an update, open the Settings or quit. On the Changes tab `/` takes the "since" box (the
burst lands there); on the verify report `/` finds an entry, as on a page (it used to open nothing
and drop what was typed after it). (The instance view finds text with `/`: test_console_pager.)

A bad "since" value is said once, next to its box, not in a stack of toasts over the feed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_fixtures import SMALL, Received, make_app, runs_ended, screen_text, wait_for
from test_app_keys import the_feed
from test_app_tables import built_app
from test_console_burst_keys import burst, settle
from textual.widgets import Input

from tui_inventory.app.main import InventoryApp
from tui_inventory.app.pager import FindInput
from tui_inventory.app.verify import ReportTable, VerifyReportScreen
from tui_inventory.simulator import Simulator
from tui_inventory.simulator.drift import drift
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine


def nothing_started(app: InventoryApp, ended: Received) -> bool:
    return app.is_running and not app.sync.running and not ended.messages


async def test_a_burst_after_slash_on_the_changes_tab_is_typed_into_the_since_box(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        view = await the_feed(pilot, app)
        burst(app, "/ubsqatar")
        await settle(pilot)
        assert nothing_started(app, ended), "a letter after / quit or started a sync"
        assert app.screen is app.main_screen, "s opened the Settings"
        since = view.query_one("#changes-since", Input)
        assert since.value == "ubsqatar"
        assert app.focused is since
        assert app.main_screen.tabs.active == "tab-changes"


async def test_a_burst_after_slash_on_the_verify_report_finds_an_entry(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
    done = drift(sim.dataset, ["carriers"])["carriers"]
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, VerifyReportScreen), 30, "the report")
        report = app.screen
        assert isinstance(report, VerifyReportScreen)
        await wait_for(pilot, lambda: "checked" in screen_text(app), 5, "the report drawn")
        table = report.query_one(ReportTable)
        burst(app, "/sq")
        await settle(pilot)
        assert app.is_running, "q after / quit the console"
        assert report.is_current, "s after / opened the Settings"
        field = report.query_one(FindInput)
        assert app.focused is field and field.value == "sq"
        assert "not found" in screen_text(app)
        await pilot.press("ctrl+u")
        burst(app, "\x1b[200~" + done.renamed + "\x1b[201~")  # a paste: the text to find
        await settle(pilot)
        assert field.value == done.renamed
        assert report.entries[table.cursor_row] == ("carriers", "different", done.renamed)
        burst(app, "\rgn")  # enter: done typing; g, n: keys again (the top, the match again)
        await settle(pilot)
        assert table.has_focus
        assert report.entries[table.cursor_row][2] == done.renamed
        burst(app, "/missing\r")  # a result's name finds its entries
        await settle(pilot)
        assert report.entries[table.cursor_row] == ("carriers", "missing", done.added)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "back")


async def test_a_bad_since_value_is_said_once_next_to_its_box(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await the_feed(pilot, app)
        since = view.query_one("#changes-since", Input)
        await pilot.press("t", *"2hqbuxv", "enter")
        await settle(pilot)
        assert app.focused is view.feed
        for _ in range(3):  # the store changes (an update ran), the tab is shown again
            view.reload()
            await settle(pilot)
        await pilot.press("t", "enter")  # and enter again on the same value
        await settle(pilot)
        toasts = [n for n in app._notifications if "2hqbuxv" in n.message]
        assert len(toasts) <= 1, [n.message for n in toasts]
        assert all(n.timeout <= 8 for n in toasts), "the toast stays over the feed"
        assert since.has_class("-invalid")
        assert "2hqbuxv" in str(since.tooltip)
        await pilot.press("t", "ctrl+u", *"2h", "enter")  # mended: the mark goes
        await settle(pilot)
        assert not since.has_class("-invalid") and since.tooltip is None
        assert not [n for n in app._notifications if "2hqbuxv" in n.message]
