"""A console with events on starts without colliding with its own sync lease (SPEC §5, §10).

The events take the lease in a thread of their own while the console's first read and first
buildup start: whichever comes first, the buildup runs under the events' lease and the console
never takes that lease for another process's sync. Each test forces one ordering the tester met
at random (`tui-inventory demo`, 2 launches in 6): the threads wait for each other at the spot
where the race was, so without the fix it happens every time.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import Received, last_result, make_app, runs_ended, wait_for

from tui_inventory.app import dashboard as dashboard_module
from tui_inventory.app.dashboard import Dashboard, SyncLog
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.worker import SyncWorker
from tui_inventory.events.runner import EventsInProcess
from tui_inventory.store.lease import SyncLease
from tui_inventory.text import plain

SETTINGS = {"events.enabled": True, "events.listen": "127.0.0.1:0"}
GUARD = 30.0  # a deadlock guard for the forced orderings, never reached when they hold


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_INVENTORY_EVENTS_TOKEN", "lease-startup-token-5e1d")


def status_line(app: Any) -> str:
    return plain(str(app.main_screen.query_one(Dashboard).query_one("#status").render()))


def sync_log(app: Any) -> str:
    return " ".join(" ".join(line.text.split()) for line in app.dashboard.query_one(SyncLog).lines)


def mark_the_events_thread(
    monkeypatch: pytest.MonkeyPatch, before: threading.Event
) -> tuple[threading.local, threading.Event]:
    """The events start once `before` is set; returns the flag their thread carries while they
    start (a lease taken then is theirs) and an Event set when they have settled."""
    local = threading.local()
    settled = threading.Event()
    original = EventsInProcess.start

    def start(self: EventsInProcess) -> None:
        assert before.wait(GUARD)
        local.events = True
        try:
            original(self)
        finally:
            local.events = False
            settled.set()

    monkeypatch.setattr(EventsInProcess, "start", start)
    return local, settled


async def finish_first_buildup(pilot: Any, app: InventoryApp, ended: Received, sim: Any) -> None:
    """What the operator expects: the buildup of the first start succeeded, events are live,
    and nothing said another sync was running."""
    await ended.wait(pilot, 1, 60, "the first buildup to end")
    await wait_for(pilot, lambda: "events live" in status_line(app), 10, "the events status")
    said = sync_log(app)
    assert "already running" not in said
    assert "has ended" not in said
    assert "read-only" not in said
    assert "events live" in said
    result = last_result(ended)
    assert result is not None and result.mode == "buildup"
    assert result.state == "succeeded"
    assert len(ended) == 1
    assert app.watching is None
    assert len(sim.events.hubs) == 2


async def test_the_first_buildup_runs_under_the_lease_the_events_take_after_it_started(
    make_sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ordering: the first buildup is handed to its thread before the events take the lease,
    # and the run's own lease (if it takes one) is asked for only after they did.
    handed = threading.Event()
    local, settled = mark_the_events_thread(monkeypatch, handed)
    original_acquire = SyncLease.acquire

    def acquire(self: SyncLease) -> None:
        if not getattr(local, "events", False):  # a run's own lease
            assert settled.wait(GUARD)
        original_acquire(self)

    original_worker_start = SyncWorker.start

    def worker_start(self: SyncWorker, mode: str, **kw: Any) -> bool:
        started = original_worker_start(self, mode, **kw)
        handed.set()
        return started

    monkeypatch.setattr(SyncLease, "acquire", acquire)
    monkeypatch.setattr(SyncWorker, "start", worker_start)

    sim = make_sim(services=30, carriers=10, resources=30)
    app = make_app(sim, tmp_path, settings=SETTINGS)
    ended = runs_ended(app)
    async with app.run_test(size=(140, 40), message_hook=ended) as pilot:
        await finish_first_buildup(pilot, app, ended, sim)


async def test_a_first_read_that_sees_the_events_lease_knows_it_for_this_consoles_own(
    make_sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ordering: the events' lease is in the database before the console's first read, and
    # that read is handled before the events' start has returned from taking it.
    committed, first_read_handled = threading.Event(), threading.Event()
    go = threading.Event()
    go.set()
    local, _settled = mark_the_events_thread(monkeypatch, go)
    original_acquire = SyncLease.acquire

    def acquire(self: SyncLease) -> None:
        original_acquire(self)
        if getattr(local, "events", False) and not committed.is_set():
            committed.set()
            assert first_read_handled.wait(GUARD)

    original_read = dashboard_module.read_snapshot
    reads = 0

    def read_snapshot(*args: Any, **kw: Any) -> Any:
        nonlocal reads
        reads += 1
        if reads == 1:
            assert committed.wait(GUARD)
        return original_read(*args, **kw)

    original_loaded = InventoryApp.on_dashboard_loaded

    def on_dashboard_loaded(self: InventoryApp, message: Dashboard.Loaded) -> None:
        original_loaded(self, message)
        first_read_handled.set()

    monkeypatch.setattr(SyncLease, "acquire", acquire)
    monkeypatch.setattr(dashboard_module, "read_snapshot", read_snapshot)
    monkeypatch.setattr(InventoryApp, "on_dashboard_loaded", on_dashboard_loaded)

    sim = make_sim(services=30, carriers=10, resources=30)
    app = make_app(sim, tmp_path, settings=SETTINGS)
    ended = runs_ended(app)
    async with app.run_test(size=(140, 40), message_hook=ended) as pilot:
        await wait_for(pilot, first_read_handled.is_set, GUARD, "the first read")
        # The read saw this console's own lease: not another sync's to watch.
        assert app.watching is None
        assert app.sync.running  # the first buildup started at once
        await finish_first_buildup(pilot, app, ended, sim)
