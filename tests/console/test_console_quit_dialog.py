"""The quit question during a sync (tester2 #8): its buttons say "Quit now" and "Stay" (Cancel
means stopping the sync everywhere else), and it closes by itself when the run ends, since the
question no longer holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app, runs_ended, wait_for
from textual.widgets import Button

from tui_inventory.app.quitting import QuitDialog


async def test_the_quit_question_says_stay_and_closes_when_the_run_ends(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(**SMALL, latency_ms=200)
    settings = {"sync.records_per_page": 20, "sync.page_concurrency": 1}  # some seconds
    app = make_app(sim, tmp_path, settings=settings, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: app.sync.running, 5, "the buildup")
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog), 5, "the question")
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["Quit now", "Stay"]
        assert app.focused is app.screen.query(Button).last()  # a stray enter stays
        await ended.wait(pilot, 1, timeout=60, what="the buildup to end")
        await wait_for(pilot, lambda: not isinstance(app.screen, QuitDialog), 5, "it closed")
        assert app.is_running  # closing the question did not quit
        await pilot.press("q")  # idle now: quits at once
        await wait_for(pilot, lambda: not app.is_running, 5, "the console to quit")
