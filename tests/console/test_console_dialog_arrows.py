"""Left and right move between a dialog's buttons, as shift+tab and tab do (the "Unsaved
settings" question, the export dialog); in the export dialog's path box they still move the
text cursor. Keys are sent as one burst, as a terminal read delivers them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import SMALL, make_app, wait_for
from test_app_settings import open_settings, type_into
from test_app_tables import built_app, show
from test_console_burst_keys import burst, settle
from textual.widgets import Button, Input

from tui_inventory.app.confirm import ConfirmDialog
from tui_inventory.app.inventory import ExportScreen
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine

LEFT, RIGHT = "\x1b[D", "\x1b[C"


def focused_id(app: object) -> str | None:
    focused = app.focused  # type: ignore[attr-defined]
    return focused.id if focused is not None else None


async def test_left_and_right_move_between_the_buttons_of_the_unsaved_settings_question(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    app = make_app(make_sim(**SMALL), tmp_path, autostart=False)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot, app)
        await type_into(pilot, screen, "#key-tmf638-username Input", "someone-else")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
        await settle(pilot)
        buttons = [b.id for b in app.screen.query(Button)]
        assert len(buttons) == 3 and focused_id(app) == buttons[-1]  # (the safe answer)
        burst(app, LEFT)
        await settle(pilot)
        assert focused_id(app) == buttons[-2]
        burst(app, LEFT + LEFT)
        await settle(pilot)
        assert focused_id(app) == buttons[-1]  # round the row, as shift+tab
        burst(app, RIGHT)
        await settle(pilot)
        assert focused_id(app) == buttons[0]
        assert isinstance(app.screen, ConfirmDialog)  # nothing chosen by the arrows


async def test_left_and_right_move_between_the_export_dialogs_buttons_not_in_its_box(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(pilot, app, "services")
        burst(app, "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), 5, "the dialog")
        await settle(pilot)
        box = app.screen.query_one("#path", Input)
        assert app.focused is box
        value, end = box.value, box.cursor_position
        burst(app, LEFT)  # in the box: the text cursor (the path shown whole is selected)
        await settle(pilot)
        assert app.focused is box and box.cursor_position < end and box.value == value
        burst(app, "\t")
        await settle(pilot)
        assert focused_id(app) == "export"
        burst(app, RIGHT)
        await settle(pilot)
        assert focused_id(app) == "cancel"
        burst(app, LEFT)
        await settle(pilot)
        assert focused_id(app) == "export"
        assert isinstance(app.screen, ExportScreen)
