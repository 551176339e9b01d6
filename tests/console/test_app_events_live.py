"""A console that syncs with events on: the dashboard says they are live, and an event's
revision reaches the Changes feed and an open table within a second (SPEC §10)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import make_app, runs_ended, wait_for

from tui_inventory.app.changes import ChangesView
from tui_inventory.app.dashboard import Dashboard
from tui_inventory.text import plain

TOKEN = "console-token-7a3c9e1f5b2d"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_INVENTORY_EVENTS_TOKEN", TOKEN)


def status_line(app: Any) -> str:
    return plain(str(app.main_screen.query_one(Dashboard).query_one("#status").render()))


async def test_an_event_reaches_the_dashboard_and_the_changes_feed_within_a_second(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=60, carriers=20, resources=60)
    settings = {"events.enabled": True, "events.listen": "127.0.0.1:0"}
    app = make_app(sim, tmp_path, settings=settings, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(140, 30), message_hook=ended) as pilot:
        await wait_for(pilot, lambda: len(sim.events.hubs) == 2, 30, "the hubs to be registered")
        await pilot.press("b")
        await ended.wait(pilot, 1, 60, "the buildup")
        app.main_screen.show_tab("tab-changes")
        view = app.main_screen.query_one(ChangesView)
        await wait_for(pilot, lambda: view.feed.row_count > 0, 10, "the feed")

        key = sorted(sim.dataset.expected_keys("resources"))[0]
        sim.dataset.set_field("resources", key, "Name", "Renamed upstream, told by an event")
        sim.events.emit("resources", key, "changed")
        sent = time.monotonic()

        def newest_is_the_event() -> bool:
            revisions = list(view.revisions.values())
            return bool(revisions) and revisions[0].key == key

        await wait_for(pilot, newest_is_the_event, 10, "the feed to show the event's revision")
        assert time.monotonic() - sent < 1.5  # SPEC §10: within a second (a loaded CI host aside)
        await wait_for(pilot, lambda: "events live, 1 arrived" in status_line(app), 5, "status")
        assert TOKEN not in app.export_screenshot()
    assert sim.events.hubs == {}  # the console's close unregistered


async def test_a_console_listening_for_events_says_so_instead_of_idle(
    make_sim: Any, tmp_path: Path
) -> None:
    """It holds the sync lease between its syncs (SPEC §10): "Idle" would hide why every other
    sync is refused meanwhile."""
    sim = make_sim(services=30, carriers=10, resources=30)
    settings = {"events.enabled": True, "events.listen": "127.0.0.1:0"}
    app = make_app(sim, tmp_path, settings=settings, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(140, 30), message_hook=ended) as pilot:
        await wait_for(pilot, lambda: len(sim.events.hubs) == 2, 30, "the hubs to be registered")
        await pilot.press("b")
        await wait_for(pilot, lambda: len(ended) == 1, 60, "the buildup")
        await wait_for(
            pilot,
            lambda: status_line(app).startswith("Listening for events"),
            10,
            "the status line",
        )
        assert "holds the sync lease" in status_line(app)
        assert "Idle" not in status_line(app)
