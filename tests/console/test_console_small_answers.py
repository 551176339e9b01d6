"""The console's smaller answers: `x` with no cleanup waiting says so; `/` on the Changes tab types
its since box instead of jumping to the Services search; Settings names the environment
variable a password comes from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from app_fixtures import wait_for
from test_app_keys import the_feed
from test_app_tables import built_app
from test_console_burst_keys import settle
from textual.widgets import Input

from tui_inventory.app.changes import ChangesView
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


def messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


async def test_x_with_no_cleanup_waiting_says_so(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert not app.held
        await pilot.press("x")
        await wait_for(pilot, lambda: any("No cleanup" in m for m in messages(app)), 5, "x")


async def test_slash_on_the_changes_tab_stays_there_and_types_the_since_box(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await the_feed(pilot, app)
        await pilot.press("slash")
        assert isinstance(view, ChangesView)
        await wait_for(pilot, lambda: app.focused is view.query_one("#changes-since"), 5, "/")
        assert app.main_screen.tabs.active == "tab-changes"


async def test_settings_names_the_environment_variable_a_password_comes_from(
    make_sim: Callable[..., Simulator],
    make_engine: Callable[..., SyncEngine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUI_INVENTORY_TMF639_PASSWORD", "from-the-environment")
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 5, "Settings")
        box = app.screen.query_one("#password-tmf639 Input", Input)
        await wait_for(pilot, lambda: "environment" in box.placeholder, 10, "the keyring check")
        assert "TUI_INVENTORY_TMF639_PASSWORD" in box.placeholder
