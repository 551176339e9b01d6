"""After a cancelled buildup the dashboard still shows the last sync that did its work, and the
cancelled run as such: "last sync 15:10:02 UTC · buildup cancelled 15:20:01 UTC" (it said "last
sync" with the cancel's time, and the last real sync was nowhere on the dashboard)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from app_fixtures import SMALL, make_app, runs_ended, screen_text, wait_for, wait_idle

from tui_inventory.app.main import InventoryApp
from tui_inventory.simulator import Simulator
from tui_inventory.times import console_time


async def test_a_cancelled_buildup_leaves_the_last_sync_in_sight(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(
        sim,
        tmp_path,
        autostart=False,
        settings={"sync.records_per_page": 10, "sync.page_concurrency": 1},
    )
    ended = runs_ended(app)
    async with app.run_test(size=(100, 40), message_hook=ended) as pilot:
        await pilot.press("b")
        await ended.wait(pilot, 1)
        await wait_idle(pilot, app)
        synced = app.store.runs(1)[0]["finished_at"]
        carriers = app.store.last_type_runs()["carriers"]["finished_at"]
        sim.latency_ms = 150
        await pilot.press("b")
        panel = app.dashboard.panel("carriers")
        await wait_for(pilot, lambda: panel.live == "building" and panel.progress, 30, "carriers")
        await pilot.press("c")
        await ended.wait(pilot, 2)
        await wait_idle(pilot, app)
        cancelled = app.store.runs(1)[0]
        assert cancelled["state"] == "cancelled"
        assert console_time(cancelled["finished_at"]) != console_time(synced)  # (tells them apart)
        text = screen_text(app)
        header = f"last sync {console_time(synced)} · buildup cancelled "
        assert header + console_time(cancelled["finished_at"]) in text, text
        # The carriers' card: its last sync, and the run cancelled on it as such.
        card = re.sub(r"\s+", " ", screen_text(app))
        assert f"last sync {console_time(carriers)} · buildup cancelled" in card, card


class SlowReads(InventoryApp):
    """The console whose dashboard does not read the store again while `hold`."""

    hold = False

    def refresh_data(self, *, now: bool = False) -> None:
        if not self.hold:
            super().refresh_data(now=now)


async def test_every_card_says_a_finished_update_in_the_same_words(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    """Once an update ends, each card reads "last sync <time>, update succeeded", whether the
    store was read again since (it was so) or not yet (it read "succeeded in this run"): here
    the reads are held back while the update runs, as on a loaded machine."""
    app = make_app(make_sim(**SMALL), tmp_path, autostart=False, app_class=SlowReads)
    assert isinstance(app, SlowReads)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await pilot.press("b")
        await ended.wait(pilot, 1)
        await wait_idle(pilot, app)
        app.hold = True
        await pilot.press("u")
        await ended.wait(pilot, 2)  # (the cards as the run's end left them: no read since)
        for kind in ("services", "carriers", "resources"):
            panel = app.dashboard.panel(kind)
            details = str(panel.query_one(".details").render())
            assert re.search(r"last sync \S+ UTC, update succeeded", details), (kind, details)
            assert "in this run" not in details
