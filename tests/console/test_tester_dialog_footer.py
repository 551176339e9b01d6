"""A dialog's footer lists the dialog's keys. The export dialog and the yes/no questions (the
unsaved settings, the held cleanup) are modal: the keys of the screen under them do nothing
there, yet its footer showed through ("o Sort f Filter e Export s Settings ? Help", "^s Save
q Quit"), offering keys that were dead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import SMALL, make_app, screen_text, wait_for
from test_app_settings import open_settings, type_into
from test_app_tables import built_app, show

from tui_inventory.app.confirm import ConfirmDialog
from tui_inventory.app.inventory import ExportScreen
from tui_inventory.app.main import InventoryApp
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


def footer(app: InventoryApp) -> str:
    return screen_text(app).rstrip("\n").splitlines()[-1]


async def test_the_export_dialog_footer_offers_its_own_keys(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, app, "services")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), 5, "the dialog")
        await pilot.pause()
        line = footer(app)
        assert "esc Cancel" in line, line
        for dead in ("Sort", "Filter", "Export", "Settings", "Help"):
            assert dead not in line, line


async def test_the_unsaved_settings_question_footer_offers_its_own_keys(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    app = make_app(make_sim(**SMALL), tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        await type_into(pilot, screen, "#key-tmf638-username Input", "someone-else")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
        await pilot.pause()
        line = footer(app)
        assert "esc Back" in line, line
        assert "Save" not in line and "Quit" not in line, line
