"""The dashboard's read model: everything the console's dashboard shows from the store, read in one
go (off the UI thread), so the console never queries the tables itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from tui_inventory import KINDS
from tui_inventory.store.events import EventStatus, event_status
from tui_inventory.store.lease import LeaseInfo
from tui_inventory.store.progress import LiveProgress
from tui_inventory.store.records import BuildupRecord, HeldRecord
from tui_inventory.store.repo import Store
from tui_inventory.store.trends import run_changes, size_points

SYNCED = ("succeeded", "partial", "held")  # a run (or type run) that did its work: a sync


@dataclass(frozen=True)
class Snapshot:
    """What the dashboard shows from the store, read in one go off the UI thread."""

    counts: dict[str, int]
    buildups: dict[str, BuildupRecord]
    held: dict[str, HeldRecord]
    log: list[dict[str, Any]]
    completed_buildup: bool
    last_sync: str | None  # when the last buildup or update finished (ISO, UTC)
    progress: LiveProgress  # what a sync does now (whoever runs it) and each type's last run
    revision: int  # the newest revision's id: it moves whenever an instance changes
    requested: float = 0.0  # time.monotonic() when the read was asked for
    sync_running: bool = False  # our own sync was running when the read was asked for
    sizes: dict[str, list[int]] = field(default_factory=dict)  # per inventory, over its runs
    events: EventStatus | None = None  # the latest event stream's (SPEC §10); None: never ran
    last_synced: str | None = None  # when the last buildup or update that did its work finished
    ended: tuple[str, str, str] | None = None  # (mode, state, finished_at) of a newer one that
    # did not (cancelled, failed, interrupted): shown as such, next to `last_synced`
    synced: dict[str, str] = field(default_factory=dict)  # per inventory, like `last_synced`

    @property
    def lease(self) -> LeaseInfo | None:
        """The live sync lease, whoever holds it."""
        return self.progress.lease


def read_snapshot(
    store: Store,
    log_after: int,
    requested: float = 0.0,
    sync_running: bool = False,
    previous: Snapshot | None = None,
) -> Snapshot:
    """Everything the dashboard shows; the counts (a scan of a million rows) are only read again
    when a revision was written since `previous`: no instance comes or goes without one."""
    rev = store.m.revision
    revision = int(rev.select(pw.fn.MAX(rev.id)).scalar() or 0)
    if previous is not None and previous.revision == revision:
        counts = previous.counts
    else:
        counts = store.counts()
    last_sync = next(
        (
            r["finished_at"]
            for r in store.runs(20)
            if r["mode"] in ("buildup", "update") and r["finished_at"]
        ),
        None,
    )
    syncs = [r for r in store.runs(20) if r["mode"] in ("buildup", "update") and r["finished_at"]]
    done = [r for r in syncs if r["state"] in SYNCED]
    ended = syncs[0] if syncs and syncs[0]["state"] not in SYNCED else None
    return Snapshot(
        counts=counts,
        buildups=store.buildups(),
        held=store.held_cleanups(),
        log=store.log_entries(limit=200, after_id=log_after),
        completed_buildup=store.has_completed_buildup(),
        last_sync=last_sync,
        progress=store.live_progress(),
        revision=revision,
        requested=requested,
        sync_running=sync_running,
        events=event_status(store),
        last_synced=done[0]["finished_at"] if done else None,
        ended=(ended["mode"], ended["state"], ended["finished_at"]) if ended else None,
        synced=store.last_synced(),
        sizes={kind: size_points(counts.get(kind, 0), run_changes(store, kind)) for kind in KINDS},
    )
