"""The console reading and scrolling while its own worker writes a buildup, on SQLite ([hardening]
issue): the tables move with j/k/g/G, search as you type and re-read after every stored page, the
Changes feed and the dashboard read too — and nothing ever meets "database is locked": no error
notification, no exception, no failed read, a buildup that succeeds. The store-level readers (other
threads, another process) are in tests/hardening/test_concurrency.py.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import last_result, make_app, runs_ended, wait_for, wait_idle
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input

from tui_inventory import KINDS
from tui_inventory.app.inventory import InventoryTable, InventoryView
from tui_inventory.app.main import InventoryApp


def table_of(app: InventoryApp, kind: str) -> InventoryTable:
    return next(v for v in app.main_screen.query(InventoryView) if v.kind == kind).table


async def browse(pilot: Pilot[Any], app: InventoryApp, kind: str, search: str) -> None:
    """What an operator does in a table: less-like moves, a search typed, the search cleared."""
    app.main_screen.show_tab(f"tab-{kind}")
    await pilot.pause()
    await pilot.press("j", "j", "j", "G", "k", "k", "g", "j", "ctrl+d", "G")
    await pilot.press("slash", *search)
    await pilot.pause(0.2)  # the debounced search runs while the writer goes on
    box = app.focused
    assert isinstance(box, Input)
    await pilot.press(*["backspace"] * len(box.value), "enter")
    table = table_of(app, kind)
    await wait_for(pilot, lambda: app.focused is table, 5, "the keys back in the table")
    await pilot.press("j", "G", "k")


async def test_reading_and_scrolling_while_a_buildup_writes_never_meets_a_locked_database(
    make_sim: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    sim = make_sim(services=600, carriers=150, resources=1500, seed=3, latency_ms=200)
    settings = {"sync.records_per_page": 20, "sync.page_concurrency": 2}
    app = make_app(sim, tmp_path, settings=settings, autostart=False)
    reads_while_writing = 0
    ended = runs_ended(app)

    def count_reads(message: Message) -> None:
        nonlocal reads_while_writing
        ended(message)
        if isinstance(message, InventoryTable.Loaded) and app.sync.running:
            reads_while_writing += 1

    async with app.run_test(size=(120, 36), message_hook=count_reads) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: app.sync.running or len(ended), 5, "the buildup")
        rounds = 0
        deadline = time.monotonic() + 90
        while app.sync.running:
            assert time.monotonic() < deadline, "the buildup did not end"
            await browse(pilot, app, KINDS[rounds % len(KINDS)], "SVC" if rounds % 2 else "a")
            app.main_screen.show_tab("tab-changes")
            await pilot.pause(0.05)
            rounds += 1
        await wait_idle(pilot, app)
        for kind in KINDS:  # every table shows the whole inventory once the writes are done
            app.main_screen.show_tab(f"tab-{kind}")
            table = table_of(app, kind)
            total = app.store.count(kind)

            def shows_all(t: InventoryTable = table, n: int = total) -> bool:
                return t.total == n and not t.pending

            await wait_for(pilot, shows_all, 10)

        notes = [(n.severity, n.title, n.message) for n in app._notifications]
        assert app.is_running and app._exception is None
    assert rounds >= 2 and reads_while_writing >= 10  # the reads really ran during the writes
    result = last_result(ended)
    assert result is not None and result.state == "succeeded", notes
    assert [n for n in notes if n[0] == "error"] == []
    assert "locked" not in " ".join(str(n) for n in notes).lower()
    assert "locked" not in caplog.text.lower()
    assert app.store.counts()["services"] == 600
