"""The command palette (ctrl+p) offers every key the console answers where it was opened: the
app's, the screen's and the focused view's, each named as in the footer (README: "All of them are
in the footer and the command palette") — `v` (verify) among them, though not in the footer."""

from __future__ import annotations

from typing import Any

from app_fixtures import PilotApp, wait_for
from test_console_burst_keys import settle
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList

from tui_inventory.app.main import InventoryApp
from tui_inventory.app.verify import VerifyReportScreen


def bindings_of(app: InventoryApp) -> set[str]:
    """What the keys of the screen shown do, as their footer and help name them (but ctrl+p)."""
    return {
        active.binding.description
        for active in app.screen.active_bindings.values()
        if active.binding.description
        and active.enabled
        and active.binding.action != "command_palette"
    }


async def palette_commands(pilot: Pilot[Any], app: InventoryApp) -> set[str]:
    """The commands ctrl+p lists before anything is typed."""
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), 5, "the palette")
    options = app.screen.query_one(OptionList)
    await wait_for(pilot, lambda: options.option_count > 5, 5, "the palette's commands")
    await settle(pilot)
    return {
        str(options.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(options.option_count)
    }


async def test_the_palette_lists_every_key_of_the_dashboard_and_runs_verify(
    pilot_app: PilotApp,
) -> None:
    async with pilot_app(autostart=False) as (app, pilot):
        await settle(pilot)
        keys = bindings_of(app)
        assert "Verify" in keys
        commands = await palette_commands(pilot, app)
        assert keys <= commands, f"missing from the palette: {keys - commands}"
        for text in "verify":
            await pilot.press(text)
        options = app.screen.query_one(OptionList)
        await wait_for(
            pilot,
            lambda: (
                options.option_count == 1 and "Verify" in str(options.get_option_at_index(0).prompt)
            ),
            5,
            "Verify alone to match",
        )
        await pilot.press("down", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, VerifyReportScreen), 30, "the verify report"
        )


async def test_the_palette_lists_the_keys_of_an_inventory_table(pilot_app: PilotApp) -> None:
    async with pilot_app(autostart=False) as (app, pilot):
        await pilot.press("tab")  # Services
        await settle(pilot)
        keys = bindings_of(app)
        assert {"Sort", "Filter", "Export"} <= keys
        commands = await palette_commands(pilot, app)
        assert keys <= commands, f"missing from the palette: {keys - commands}"
