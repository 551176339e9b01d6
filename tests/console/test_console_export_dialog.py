"""The export dialog (`e` on a table) writes through a symlink to its target, asks before it
replaces a file, stays open on a failure with the reason and the path as typed, and says where a
relative name goes. Keys are sent as one burst, as a terminal read delivers them."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_fixtures import screen_text, wait_for
from test_app_tables import built_app, show
from test_console_burst_keys import burst, settle
from textual.pilot import Pilot
from textual.widgets import Input

from tui_inventory.app.confirm import ConfirmDialog
from tui_inventory.app.inventory import ExportScreen
from tui_inventory.app.main import InventoryApp
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine

HEADER = "id,name,status,type,"


async def type_path(pilot: Pilot[Any], app: InventoryApp, path: str) -> None:
    """Ctrl+u (clear the field), then `path` in one burst. (Ctrl+u and enter each go in a burst
    of their own: keys typed right after ctrl+u in one read are another defect's, F2.)"""
    burst(app, "\x15")
    await settle(pilot)
    burst(app, path)
    await settle(pilot)


async def test_the_export_dialog_writes_through_a_symlink_and_asks_before_replacing(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "target.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    link = out / "link.csv"
    link.symlink_to("target.csv")
    async with app.run_test(size=(100, 30)) as pilot:
        await show(pilot, app, "services")
        burst(app, "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), 5, "the dialog")
        await type_path(pilot, app, str(link))
        burst(app, "\r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 10, "the question")
        await wait_for(pilot, lambda: "already exists" in screen_text(app), 5, "the question")
        assert target.read_text() == "old\n"  # nothing written before the answer
        await pilot.click("#keep")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), 5, "back")
        assert app.screen.query_one("#path", Input).value == str(link)
        assert target.read_text() == "old\n"
        burst(app, "\r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 10, "the question")
        await wait_for(pilot, lambda: "already exists" in screen_text(app), 5, "the question")
        await pilot.click("#replace")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 30, "the export")
        assert link.is_symlink() and os.readlink(link) == "target.csv"
        assert target.read_text().startswith(HEADER)
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        assert sorted(p.name for p in out.iterdir()) == ["link.csv", "target.csv"]


async def test_a_failed_export_keeps_the_dialog_open_with_the_reason_and_the_path(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    typed = str(tmp_path / "no-such-dir" / "services.csv")
    async with app.run_test(size=(100, 30)) as pilot:
        await show(pilot, app, "services")
        burst(app, "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), 5, "the dialog")
        dialog = app.screen
        # where a relative name goes, said before anything is typed
        where = f"A relative name is written in {Path.cwd()}"
        await wait_for(pilot, lambda: where in screen_text(app), 5, "where a name goes")
        await type_path(pilot, app, typed)
        burst(app, "\r")
        await wait_for(
            pilot, lambda: "No such file or directory" in screen_text(app), 30, "the reason"
        )
        await settle(pilot)
        assert app.screen is dialog, "the dialog closed on a failure"
        assert dialog.query_one("#path", Input).value == typed
        assert app.focused is dialog.query_one("#path", Input)
        # mended in place: the same dialog writes it
        good = tmp_path / "services.csv"
        await type_path(pilot, app, str(good))
        burst(app, "\r")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 30, "the export")
        assert good.read_text().startswith(HEADER)
