"""A text field's own keys (ctrl+u, backspace, esc) take effect in the order they were typed, with
the keys typed right after them: `ctrl+u` then `gw` typed fast left an empty box (Textual runs a
field's binding once the key has bubbled up through every container, the letters were in the box
before), and `j` typed right after esc went into the box being left. Keys are read through the
console's own parser of the terminal, all posted at once as the driver does with one read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app, wait_for
from test_app_tables import built_app, show, view_of
from textual.command import CommandInput, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from tui_inventory.app.main import InventoryApp
from tui_inventory.app.textkeys import TerminalParser
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


def burst(app: InventoryApp, text: str) -> None:
    """`text` as one read of the terminal: every key event posted before any is handled."""
    for event in TerminalParser().feed(text):
        event.set_sender(app)
        app.post_message(event)


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(5):
        await pilot.pause(0.05)


async def test_keys_typed_after_ctrl_u_or_backspace_land_in_the_box(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, app, "services")
        search = view_of(app, "services").query_one("#search", Input)
        burst(app, "/abc")
        await settle(pilot)
        for word in ("gw1", "gw2", "gw3"):
            burst(app, "\x15" + word)  # ctrl+u, then the word, at once
            await settle(pilot)
            assert search.value == word
        burst(app, "\x15ab\x7fc")  # backspace between letters
        await settle(pilot)
        assert search.value == "ac"
        assert app.focused is search


async def test_a_key_typed_right_after_esc_goes_to_the_table(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await show(pilot, app, "services")
        search = view_of(app, "services").query_one("#search", Input)
        burst(app, "/")
        await settle(pilot)
        burst(app, "\x1bjj")  # esc, j, j in one read (Textual read it as alt+j, j)
        await settle(pilot)
        assert app.focused is table
        assert table.cursor == 2 and search.value == ""


async def test_the_palette_keeps_what_is_typed_after_ctrl_u(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    app = make_app(make_sim(**SMALL), tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        burst(app, "\x10")  # ctrl+p
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), 10, "the palette")
        field = app.screen.query_one(CommandInput)
        await wait_for(pilot, lambda: app.focused is field, 10, "its search box")
        for word in ("verify", "settings", "keys", "help"):
            burst(app, "\x15" + word)
            await settle(pilot)
            assert field.value == word
