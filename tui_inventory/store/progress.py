"""What a sync is doing, read from the database alone: for consoles on other processes and hosts.

The engine writes its counters to `type_run` with every page it stores (in the page's own
transaction), its log to `log_entry`, and holds the lease while it runs; this module reads those
back in a handful of indexed queries, cheap enough to poll every second or two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee as pw

from tui_inventory.domain import FrozenCounters
from tui_inventory.store.bookkeeping import BookkeepingStore
from tui_inventory.store.lease import LeaseInfo, current_lease, database_time, lease_is_live
from tui_inventory.store.records import BuildupRecord
from tui_inventory.tmf.definitions import DEFINITIONS

_COUNTERS = tuple(FrozenCounters.__dataclass_fields__)


@dataclass(frozen=True)
class RunProgress:
    """The latest run (running or finished)."""

    id: int
    mode: str  # buildup | update | cleanup
    state: str  # running | succeeded | partial | failed | cancelled | interrupted
    reason: str
    host: str
    pid: int
    started_at: str
    finished_at: str | None


@dataclass(frozen=True)
class TypeProgress:
    """One inventory's latest type run. When `run` is older than the latest run's id, the
    running sync has not reached this inventory yet and these are the previous run's figures."""

    kind: str
    run: int
    mode: str
    state: str  # running | succeeded | partial | held | failed | cancelled | interrupted
    reason: str
    pages: int
    gaps: int
    total: int | None  # upstream total when the API tells it
    counters: FrozenCounters  # this run's, so far
    started_at: str
    finished_at: str | None
    elapsed: float  # seconds from its start to its end, or to now while running
    buildup: BuildupRecord | None  # the buildup in progress, counted since it began

    @property
    def rate(self) -> float:
        """Entities received per second."""
        return self.counters.received / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class LiveProgress:
    at: float  # the database's clock, seconds since the epoch
    lease: LeaseInfo | None  # the sync holding the lease now; None when none runs
    run: RunProgress | None
    kinds: dict[str, TypeProgress]  # only the inventories that ever ran
    last_log_id: int  # read newer log lines with `Store.log_entries(after_id=...)`

    @property
    def running(self) -> bool:
        return self.lease is not None


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _elapsed(started: str, finished: str | None, now: float) -> float:
    try:
        return max(0.0, (_seconds(finished) if finished else now) - _seconds(started))
    except ValueError:
        return 0.0


def live_progress(store: BookkeepingStore) -> LiveProgress:
    m = store.m
    now = database_time(store)
    info = current_lease(store)
    lease = info if lease_is_live(info, now) else None

    def alive(host: str, pid: int) -> bool:
        """Whether the process that wrote a "running" row still holds the lease."""
        return lease is not None and lease.host == host and lease.pid == pid

    run: RunProgress | None = None
    # The event stream's long-lived run has its own line (the dashboard's events status).
    row = m.run.select().where(m.run.mode != "event").order_by(m.run.id.desc()).dicts().first()
    if row is not None:
        state = row["state"]
        if state == "running" and not alive(row["host"], row["pid"]):
            state = "interrupted"
        run = RunProgress(
            row["id"],
            row["mode"],
            state,
            row["reason"],
            row["host"],
            row["pid"],
            row["started_at"],
            row["finished_at"],
        )

    buildups = store.buildups()
    tr, r = m.type_run, m.run
    kinds: dict[str, TypeProgress] = {}
    for kind in DEFINITIONS:
        t: dict[str, Any] | None = (
            tr.select(tr, r.host, r.pid)
            .join(r, on=(r.id == tr.run))
            .where((tr.kind == kind) & (tr.mode != "event"))
            .order_by(tr.run.desc())
            .dicts()
            .first()
        )
        if t is None:
            continue
        state = t["state"]
        if state == "running" and not alive(t["host"], t["pid"]):
            state = "interrupted"
        kinds[kind] = TypeProgress(
            kind=kind,
            run=t["run"],
            mode=t["mode"],
            state=state,
            reason=t["reason"],
            pages=t["pages"],
            gaps=t["gaps"],
            total=t["total"],
            counters=FrozenCounters(**{c: t[c] for c in _COUNTERS}),
            started_at=t["started_at"],
            finished_at=t["finished_at"],
            elapsed=_elapsed(t["started_at"], t["finished_at"], now),
            buildup=buildups.get(kind),
        )
    last_log = m.log.select(pw.fn.MAX(m.log.id)).scalar() or 0
    return LiveProgress(now, lease, run, kinds, int(last_log))
