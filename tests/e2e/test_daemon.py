"""The headless daemon (`tui-inventory sync`) as an operator's service manager runs it: a real
process against the simulator, on both backends, stopped with SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peewee as pw
import pytest
from daemon_fixtures import DaemonProcess, wait_for

from tui_inventory import KINDS
from tui_inventory.daemon import JsonReporter
from tui_inventory.domain import Counters
from tui_inventory.store.lease import current_lease
from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine


def created_twice(store: Store) -> list[tuple[str, str]]:
    """Keys with more than one 'created' revision (an instance stored twice)."""
    rev = store.m.revision
    rows = (
        rev.select(rev.kind, rev.key)
        .where(rev.change == "created")
        .group_by(rev.kind, rev.key)
        .having(pw.fn.COUNT(rev.id) > 1)
        .tuples()
    )
    return list(rows)


def pages_stored(store: Store) -> int:
    return sum(tp.pages for tp in store.live_progress().kinds.values())


def test_sigterm_finishes_the_page_releases_the_lease_and_exits_0(
    make_sim: Any,
    store: Store,
    store_url: str,
    tmp_path: Path,
    make_engine: Callable[..., SyncEngine],
) -> None:
    sim = make_sim(services=300, carriers=80, resources=400, latency_ms=40)
    daemon = DaemonProcess(sim, store_url, tmp_path / "daemon")
    try:
        wait_for(lambda: pages_stored(store) >= 4, 60, "some pages stored")
        assert daemon.stop(signal.SIGTERM) == 0, daemon.stderr
    finally:
        daemon.kill()

    assert daemon.stderr == ""
    events = daemon.events
    assert all({"time", "level", "event"} <= e.keys() for e in events)
    names = [e["event"] for e in events]
    assert names[0] == "daemon_started" and names[-1] == "daemon_stopped"
    assert "stopping" in names and "page_stored" in names
    page = daemon.named("page_stored")[0]
    assert page["kind"] in KINDS and page["counters"]["received"] > 0
    finished = daemon.named("run_finished")
    assert finished and finished[-1]["state"] == "cancelled"

    # The lease is released and the store is consistent: every stored page counted, the
    # interrupted buildup resumable, no run left "running".
    assert current_lease(store) is None
    assert all(r["state"] != "running" for r in store.runs())
    assert store.buildups(), "stopped in the middle of the buildup"
    for kind, b in store.buildups().items():
        assert store.tracked_count(kind) == store.count(kind)
        assert b.next_page == b.pages_done + 1
    assert created_twice(store) == []

    # The next run (same page size: see DaemonProcess) resumes where the daemon stopped.
    events_seen: list[Any] = []
    engine = make_engine(sim, store, events=events_seen, **{"sync.records_per_page": 10})
    result = engine.run("auto")
    assert result.mode == "buildup" and result.ok, result.reason
    resumed = [e for e in events_seen if isinstance(e, ev.TypeStarted) and e.first_page > 1]
    assert resumed
    for kind in KINDS:
        assert store.keys(kind) == sim.dataset.expected_keys(kind)
    assert created_twice(store) == []


def test_a_daemon_started_while_another_holds_the_lease_waits_and_says_so(
    sim: Any, store: Store, store_url: str, tmp_path: Path
) -> None:
    from tui_inventory.store.lease import SyncLease

    holder = SyncLease(store, ttl=30)
    holder.acquire()
    daemon = DaemonProcess(sim, store_url, tmp_path / "daemon", lease_ttl=2)
    try:
        held = daemon.wait_for_event("lease_held", 30)
        assert held["level"] == "warning"
        assert held["message"].startswith("sync already running (")
        assert f"pid {holder.pid}" in held["message"]
        holder.release()  # the standby takes over at its next try
        daemon.wait_for_event("run_finished", 60)
        assert daemon.stop() == 0
    finally:
        holder.release()
        daemon.kill()
    assert store.has_completed_buildup()
    assert len(daemon.named("lease_held")) == 1  # said once, not at every retry


def test_json_lines_are_ascii_and_carry_the_run_and_counters() -> None:
    import io

    out = io.StringIO()
    reporter = JsonReporter(out, interval=0)
    counters = Counters(received=20, created=19, skipped=1).frozen()
    reporter(ev.PageStored(7, "services", 3, 20, 3, counters, 100, 2.0))
    reporter(ev.Logged(7, "warning", "services", "duplicate key 'S\x1b[31m\u202e1' skipped"))
    reporter(ev.TypeFinished(7, "services", "succeeded", "", counters))
    lines = out.getvalue().splitlines()
    assert all(line.isascii() for line in lines)
    page, logged, finished = (json.loads(line) for line in lines)
    assert page["event"] == "page_stored" and page["run"] == 7 and page["kind"] == "services"
    assert page["counters"]["created"] == 19 and page["total"] == 100 and page["rate"] == 10.0
    assert logged["level"] == "warning" and "\x1b[31m\u202e" in logged["message"]
    assert finished["event"] == "type_finished" and finished["state"] == "succeeded"


def test_a_json_log_whose_reader_went_away_is_no_longer_written_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone: every write is a broken pipe
    out = os.fdopen(write, "w")
    reporter = JsonReporter(out, interval=0)
    counters = Counters(received=20, created=20).frozen()
    with caplog.at_level("WARNING", logger="tui_inventory.daemon"):
        for page in range(1, 6):  # the sync goes on: no event raises
            reporter(ev.PageStored(7, "services", page, 20, page, counters, None, 1.0))
    with contextlib.suppress(BrokenPipeError):
        out.close()
    assert [r.getMessage() for r in caplog.records] == [
        "the JSON log's reader went away; its events are no longer written"
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sync_once_with_json_log(sim: Any, store_url: str, tmp_path: Path) -> None:
    from cli_fixtures import env_with_passwords, run, write_config

    config = write_config(tmp_path / "c.toml", sim, **{"sync.records_per_page": 50})
    done = run(
        ["--config", str(config), "--db", store_url, "sync", "--once", "--json-log"],
        env_with_passwords(sim, tmp_path),
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1]["event"] == "stored"
    assert events[-1]["counts"] == {k: len(sim.dataset.expected_keys(k)) for k in KINDS}
