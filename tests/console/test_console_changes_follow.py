"""A bad since value on the Changes tab does not stop the feed: it keeps following new revisions
(in the time window applied before), and a line under the bar says the value is not a time and
how to mend it; mended, the line goes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import runs_ended, screen_text, wait_for
from test_app_keys import the_feed
from test_app_tables import built_app
from test_console_burst_keys import settle

from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


async def test_the_feed_keeps_following_after_a_bad_since_value_and_says_so(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, sim = built_app(make_sim, make_engine, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        view = await the_feed(pilot, app)
        await pilot.press("t", *"2hqbuxv", "enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "not a time" in screen_text(app), 5, "the problem said")
        assert "t (since)" in screen_text(app), "how to mend it is not said"

        key = sorted(sim.dataset.expected_keys("carriers"))[0]
        sim.dataset.set_field("carriers", key, "Name", "Renamed after a bad since")
        await pilot.press("u")
        await wait_for(pilot, lambda: len(ended) == 1, 30, "the update")

        def newest_is_the_change() -> bool:
            revisions = list(view.revisions.values())
            return bool(revisions) and revisions[0].key == key and revisions[0].change == "changed"

        await wait_for(pilot, newest_is_the_change, 10, "the feed to go on following")
        assert "not a time" in screen_text(app), "the problem line went while the box is bad"

        await pilot.press("t", "ctrl+u", "enter")  # emptied: the line goes
        await wait_for(pilot, lambda: "not a time" not in screen_text(app), 5, "the line to go")
