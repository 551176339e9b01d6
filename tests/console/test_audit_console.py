"""The console's audit parts, driven by Pilot on the real console: the Changes feed's time window,
the held cleanup's list, the verify report."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app, runs_ended, screen_text, wait_for, wait_idle
from textual.widgets import DataTable, Input, RichLog

from tui_inventory.app.changes import ChangesView
from tui_inventory.app.cleanup import CleanupDialog
from tui_inventory.app.instance import InstanceScreen
from tui_inventory.app.verify import UpstreamScreen, VerifyReportScreen
from tui_inventory.simulator.drift import drift
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


async def test_a_held_cleanup_is_confirmed_after_scrolling_its_list(
    make_sim: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        await pilot.press("b")
        await ended.wait(pilot, 1)
        await wait_idle(pilot, app)
        stored = app.store.keys("resources")
        gone = sorted(stored)[: len(stored) * 3 // 4]
        for key in gone:
            sim.dataset.remove("resources", key)
        await pilot.press("b")
        await ended.wait(pilot, 2)
        await wait_idle(pilot, app)
        assert "resources" in app.held
        app.review_cleanup("resources")
        await wait_for(pilot, lambda: isinstance(app.screen, CleanupDialog), 5, "the dialog")
        dialog = app.screen
        assert isinstance(dialog, CleanupDialog)
        await wait_for(pilot, lambda: len(dialog.listed) == len(gone), 10, "the list")
        assert [c.key for c in dialog.listed] == gone  # exactly what it would remove
        table = dialog.query_one("#cleanup-list", DataTable)
        assert table.row_count > table.scrollable_content_region.height  # it needs scrolling
        table.focus()
        await pilot.press("G")  # to the end of the list, as in less
        await wait_for(pilot, lambda: table.cursor_row == len(gone) - 1, 5, "the last row")
        await wait_for(pilot, lambda: table.scroll_y > 0, 5, "the list scrolled")
        assert gone[-1] in screen_text(app)
        dialog.query_one("#cleanup-search", Input).value = gone[3]
        await wait_for(pilot, lambda: [c.key for c in dialog.listed] == [gone[3]], 10)
        await pilot.click("#remove")
        await wait_for(pilot, lambda: not app.held, 30, "the cleanup to run")
        assert app.store.keys("resources") == stored - set(gone)


async def test_v_verifies_and_opens_the_entries_of_its_report(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
    done = drift(sim.dataset, ["carriers"])["carriers"]
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, VerifyReportScreen), 30, "the report")
        screen = app.screen
        assert isinstance(screen, VerifyReportScreen)
        await wait_for(pilot, lambda: "checked" in screen_text(app), 5, "the report drawn")
        text = screen_text(app)
        assert "The store differs from upstream." in text
        assert "Carriers   checked" in text and "missing 1, extra 1, different 1" in text
        assert "verify finished: differences" in "\n".join(
            str(line) for line in app.dashboard.query_one("SyncLog", RichLog).lines
        )
        assert screen.entries == [
            ("carriers", "missing", done.added),
            ("carriers", "extra", done.removed),
            ("carriers", "different", done.renamed),
        ]
        table = screen.query_one("#verify-entries", DataTable)
        table.move_cursor(row=2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5, "the instance")
        assert isinstance(app.screen, InstanceScreen) and app.screen.key == done.renamed
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, 5)
        table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UpstreamScreen), 5, "upstream's")
        await wait_for(pilot, lambda: "missing from" in screen_text(app), 5, "it drawn")
        assert f"{done.added}: missing from the store" in screen_text(app)
        assert "What upstream sent" in screen_text(app)


async def test_quitting_during_a_verify_stops_it(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
    settings = {"sync.page_concurrency": 1, "sync.records_per_page": 10}
    app = make_app(sim, tmp_path, autostart=False, settings=settings)
    sim.latency_ms = 150  # 47 pages, two listings side by side: seconds of verify
    before = len(sim.requests)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: len(sim.requests) >= before + 2, 10, "the verify to read")
        await pilot.press("q")
    deadline = time.monotonic() + 30
    while any(t.name.startswith("verify-") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the verify's threads did not end"
        await asyncio.sleep(0.02)
    assert len(sim.requests) - before < 20  # it stopped with the console, not at the end
