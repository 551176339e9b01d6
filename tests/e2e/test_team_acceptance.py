"""The team deployment's acceptance ([team] issue): one sync daemon writes to PostgreSQL while two
read-only readers follow it live; the daemon is killed and a second daemon, standing by as on
another host, takes over when the lease expires and finishes without losing or duplicating an
instance.

The two readers are `Store` instances polling `live_progress()`, `counts()` and the log, exactly
what a read-only console reads; they stand in for the consoles until the console work lands.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from daemon_fixtures import DaemonProcess, wait_for
from test_daemon import created_twice

from tui_inventory import KINDS
from tui_inventory.store.lease import current_lease
from tui_inventory.store.progress import LiveProgress
from tui_inventory.store.repo import Store

LEASE_TTL = 4.0
OTHER_HOST = "sync-host-a"


@dataclass
class Reader:
    """A read-only console's view of the database, refreshed every `interval` seconds."""

    store: Store
    interval: float = 0.2
    seen: list[tuple[LiveProgress, dict[str, int]]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._poll, daemon=True)
        thread.start()
        return thread

    def _poll(self) -> None:
        last_log = 0
        try:
            while not self._stop.wait(self.interval):
                progress = self.store.live_progress()
                self.seen.append((progress, self.store.counts()))
                entries = self.store.log_entries(500, after_id=last_log)
                self.log.extend(entries)
                last_log = entries[-1]["id"] if entries else last_log
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            self.store.db.close()  # this thread's connection

    def stop(self) -> None:
        self._stop.set()

    @property
    def latest(self) -> LiveProgress | None:
        return self.seen[-1][0] if self.seen else None


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_daemon_takeover_seen_live_by_two_readers(
    make_sim: Any, store_url: str, make_store: Callable[..., Store], tmp_path: Path
) -> None:
    sim = make_sim(services=300, carriers=80, resources=1200, latency_ms=40)
    readers = [Reader(make_store()), Reader(make_store())]
    threads = [r.start() for r in readers]
    admin = make_store()  # the test's own access, for the checks
    first = DaemonProcess(sim, store_url, tmp_path / "a", lease_ttl=LEASE_TTL)
    second: DaemonProcess | None = None
    try:
        # 1. Both readers follow the first daemon's buildup as it goes.
        def resources_under_way() -> bool:
            return all(
                (p := r.latest) is not None
                and p.running
                and "resources" in p.kinds
                and p.kinds["resources"].state == "running"
                and p.kinds["resources"].pages >= 3
                for r in readers
            )

        def progress_grew(r: Reader) -> bool:
            seen = [sum(tp.counters.received for tp in p.kinds.values()) for p, _ in r.seen[:]]
            return len(set(seen)) >= 2

        wait_for(
            lambda: resources_under_way() and all(progress_grew(r) for r in readers),
            90,
            "both readers to see the resources buildup running and its counters grow",
        )
        first_run = readers[0].latest.run  # type: ignore[union-attr]
        assert first_run is not None and first_run.mode == "buildup"
        assert first_run.state == "running"

        # 2. The daemon dies. Its rows are made to read as another host's, so only the lease's
        # expiry (not this host's check for a dead process) can free it.
        first.stop(signal.SIGKILL)
        admin.m.lease.update(host=OTHER_HOST).execute()
        admin.m.run.update(host=OTHER_HOST).where(admin.m.run.id == first_run.id).execute()
        lease = current_lease(admin)
        assert lease is not None and lease.host == OTHER_HOST
        stored_when_killed = admin.counts()

        # 3. A second daemon stands by, then takes over once the lease has expired.
        second = DaemonProcess(sim, store_url, tmp_path / "b", lease_ttl=LEASE_TTL)
        held = second.wait_for_event("lease_held", 30)
        assert f"{OTHER_HOST}, pid {lease.pid}" in held["message"]
        started = second.wait_for_event("run_started", 30)
        takeover = time.time()
        assert takeover >= lease.expires - 0.5  # not before the lease expired
        assert started["mode"] == "buildup"
        second.wait_for_event("run_finished", 120)
        resumed = [e for e in second.named("type_started") if e["first_page"] > 1]
        assert resumed, "the second daemon resumes the buildup instead of starting over"
        finished = second.named("run_finished")[0]
        assert finished["state"] == "succeeded", finished

        # 4. Both readers see the final counts and the finished buildup.
        expected = {k: len(sim.dataset.expected_keys(k)) for k in KINDS}

        def final_seen() -> bool:
            for r in readers:
                if not r.seen:
                    return False
                progress, counts = r.seen[-1]
                if counts != expected or progress.run is None or progress.run.state != "succeeded":
                    return False
            return True

        wait_for(final_seen, 30, "both readers to see the final counts")
        assert second.stop() == 0, second.stderr
    finally:
        for r in readers:
            r.stop()
        for t in threads:
            t.join(10)
        first.kill()
        if second is not None:
            second.kill()

    for r in readers:
        assert r.errors == []
        progress_seen = [p for p, _ in r.seen]
        # The buildup's progress, live: the first run running with growing counters...
        running = [
            sum(tp.counters.received for tp in p.kinds.values() if tp.run == first_run.id)
            for p in progress_seen
            if p.run is not None and p.run.id == first_run.id and p.run.state == "running"
        ]
        assert len(running) >= 2 and running == sorted(running) and running[-1] > running[0]
        # ...then that run interrupted (its lease expired), then the second run to the end.
        states = [
            p.run.state for p in progress_seen if p.run is not None and p.run.id == first_run.id
        ]
        assert "interrupted" in states or "failed" in states
        last = progress_seen[-1]
        assert last.run is not None and last.run.id > first_run.id and last.run.state == "succeeded"
        assert {k: tp.state for k, tp in last.kinds.items()} == dict.fromkeys(KINDS, "succeeded")
        assert any(e["message"].startswith("buildup succeeded") for e in r.log)

    # Nothing lost, nothing stored twice.
    for kind in KINDS:
        assert admin.keys(kind) == sim.dataset.expected_keys(kind)
    assert created_twice(admin) == []
    assert sum(stored_when_killed.values()) > 0
    old = next(r for r in admin.runs() if r["id"] == first_run.id)
    assert old["state"] == "failed" and OTHER_HOST in old["reason"]
    assert current_lease(admin) is None
