"""q on the Settings screen (the focus on a button or a dropdown, where q is not text) quit the
console at once, and an edit not yet saved was lost without a word; esc asked first. Now q asks
too, and quits at once when nothing is unsaved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import SMALL, make_app, screen_text, wait_for
from test_app_settings import open_settings, type_into
from textual.widgets import Button, Input

from tui_inventory.app.confirm import ConfirmDialog
from tui_inventory.simulator import Simulator


async def test_q_on_the_settings_asks_before_losing_an_edit(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot, app)
        await type_into(pilot, screen, "#key-tmf638-username Input", "someone-else")
        screen.query(Button).first().focus()  # tab to a button: q is a key there, not text
        await pilot.pause()
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
        await pilot.pause()
        assert "Not saved: tmf638.username" in screen_text(app)
        await pilot.press("enter")  # the safe answer has the focus: Cancel
        await wait_for(pilot, lambda: app.screen is screen, 5, "the settings again")
        assert app.is_running
        assert screen.query_one("#key-tmf638-username Input", Input).value == "someone-else"
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
        await pilot.click("#discard")
        await wait_for(pilot, lambda: not app.is_running, 10, "the console to quit")
    assert not (tmp_path / "config.toml").exists()


async def test_q_on_the_settings_quits_at_once_when_nothing_is_unsaved(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot, app)
        screen.query(Button).first().focus()
        await pilot.pause()
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, 10, "the console to quit")
