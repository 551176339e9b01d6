"""Sync-log lines are laid out for the width they are shown at: one written while another tab
shows (the log has no width then) is wrapped at the Dashboard's width once it shows again, and
the lines are wrapped again when the terminal is resized."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import screen_text, wait_for
from test_app_tables import built_app, show
from test_console_burst_keys import settle

from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike " * 2


def longest_log_line(text: str) -> int:
    """The widest run of the message's words on one screen line."""
    best = 0
    for line in text.splitlines():
        start = line.find("alpha") if "alpha" in line else line.find("bravo")
        if start >= 0:
            best = max(best, len(line[start:].rstrip(" ▁▎▊│")))
    return best


async def test_a_line_logged_while_another_tab_shows_fills_the_dashboards_width(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await show(pilot, app, "services")
        app.dashboard.log_line("warning", WORDS)
        await settle(pilot)
        app.main_screen.show_tab("tab-dashboard")
        await wait_for(pilot, lambda: "alpha" in screen_text(app), 5, "the log line")
        await settle(pilot)
        assert longest_log_line(screen_text(app)) > 80, screen_text(app)
        await pilot.resize_terminal(100, 40)
        await settle(pilot)
        width = longest_log_line(screen_text(app))
        assert 60 < width <= 100, screen_text(app)
