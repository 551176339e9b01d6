"""The console's audit parts, driven by Pilot on the real console: the Changes feed's time window,
the held cleanup's list, the verify report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app, wait_for
from textual.widgets import Input

from tui_inventory.app.changes import ChangesView
from tui_inventory.store.changes import stamp
from tui_inventory.store.repo import Store


async def test_the_changes_feed_takes_a_time_window(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
        old = stamp(datetime.now(UTC) - timedelta(days=2))
        with store.transaction():  # the buildup was two days ago
            store.m.revision.update(at=old).execute()
        sim.dataset.tick()
        run = make_engine(sim, store).run("update").run_id
        recent = {r.id for r in store.m.revision.select().where(store.m.revision.run == run)}
    assert recent
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.show_tab("tab-changes")
        changes = app.main_screen.query_one(ChangesView)
        await wait_for(pilot, lambda: len(changes.revisions) > len(recent), 10)
        since = changes.query_one("#changes-since", Input)
        since.focus()
        await pilot.press(*"1d", "enter")
        await wait_for(pilot, lambda: {int(k) for k in changes.revisions} == recent, 10)
        since.value = ""
        until = changes.query_one("#changes-until", Input)
        until.focus()
        await pilot.press(*"1d", "enter")
        await wait_for(pilot, lambda: not recent & {int(k) for k in changes.revisions}, 10)
        assert changes.revisions
