"""A value pasted into a Settings field with control characters in it (a BEL, a SOH: invisible
in the field) is refused beside the field by the configuration's own rule, and never saved: the
next sync must not fail with a 401 that nothing on screen explains."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

from app_fixtures import SMALL, make_app, screen_text, wait_for
from test_app_settings import open_settings, static_text
from test_console_burst_keys import burst, settle
from textual.widgets import Input

from tui_inventory.simulator import Simulator

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


async def test_a_pasted_control_character_is_refused_and_never_saved(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot, app)
        box = screen.query_one("#key-tmf638-username Input", Input)
        box.focus()
        await pilot.pause()
        burst(app, "\x1b[200~user\x07\x01name\x1b[201~")  # a bracketed paste
        await settle(pilot)
        field_error = static_text(screen, "#key-tmf638-username .error")
        if CONTROL.search(box.value):
            # kept in the field: then refused beside it, and the save refused
            assert "must not contain control characters" in field_error
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "control characters" in screen_text(app)
        else:  # (dropped by the field itself: what is shown is what is saved)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: (tmp_path / "config.toml").exists(), 10, "the save")
        saved = tmp_path / "config.toml"
        if saved.exists():
            username = tomllib.loads(saved.read_text())["tmf638"].get("username", "")
            assert not CONTROL.search(username), repr(username)
        assert not CONTROL.search(app.config.tmf638.username or "")
