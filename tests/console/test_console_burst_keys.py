"""Keys typed in one burst (a paste, fast typing over SSH: one read of the terminal) belong to the
text field the first of them opens: after `/`, the letters go to the search box, never to the
console's keys. Driven through Textual's own terminal parser, all keys posted at once as the
driver does with one read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_fixtures import runs_ended, wait_for
from test_app_tables import built_app, show, view_of
from textual._xterm_parser import XTermParser
from textual.pilot import Pilot
from textual.widgets import Input

from tui_inventory.app.inventory import ExportScreen
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


def burst(app: InventoryApp, text: str) -> None:
    """`text` as one read of the terminal: every key event posted before any is handled."""
    for event in XTermParser().feed(text):
        event.set_sender(app)
        app.post_message(event)


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(5):
        await pilot.pause(0.05)


async def test_letters_typed_right_after_slash_go_to_the_search_box(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(pilot, app, "services")
        burst(app, "/qatar")
        await settle(pilot)
        assert app.is_running, "q quit the console"
        search = view_of(app, "services").query_one("#search", Input)
        assert search.value == "qatar"
        assert app.focused is search


async def test_a_burst_on_the_dashboard_searches_the_services_and_starts_nothing(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        await pilot.pause()
        burst(app, "/ubs")
        await settle(pilot)
        await pilot.press("escape")  # back to the table (the search stays); then more, fast
        await wait_for(pilot, lambda: app.focused is view_of(app, "services").table)
        burst(app, "/bold")
        await settle(pilot)
        assert app.is_running
        assert app.screen is app.main_screen, "s opened the Settings"
        assert not app.sync.running and not ended.messages, "a letter started a sync"
        search = view_of(app, "services").query_one("#search", Input)
        assert search.value == "bold"  # (the search box selects its text when focused)
        assert app.focused is search


async def test_a_burst_into_the_settings_stays_text(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        await show(pilot, app, "services")
        burst(app, "sbuxq")  # s opens the Settings; the rest is typed into its first field
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        field = app.focused
        assert isinstance(field, Input) and field.value.endswith("buxq")
        assert not app.sync.running and not ended.messages


async def test_a_burst_into_the_export_dialog_stays_text(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        await show(pilot, app, "services")
        burst(app, "e\x15bqux.json")  # e opens the export dialog; ctrl+u clears its path
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        path = app.screen.query_one("#path", Input)
        assert path.value == "bqux.json" and app.focused is path
        assert app.is_running and not app.sync.running and not ended.messages


async def test_a_paste_right_after_slash_goes_to_the_search_box(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(pilot, app, "services")
        burst(app, "/\x1b[200~qatar bold\x1b[201~")  # / and a bracketed paste, one read
        await settle(pilot)
        assert app.is_running and not app.sync.running
        search = view_of(app, "services").query_one("#search", Input)
        assert search.value == "qatar bold"
