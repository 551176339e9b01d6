"""The single-sync lease: at most one sync runs against a database, across processes and hosts.

The holder renews the lease while it works; a lease not renewed within its time-to-live has
expired and may be taken over (its holder died). On the same host a holder whose process is gone is
recognised at once, so a sync killed with SIGKILL can be resumed without waiting.

Taking the lease is one transaction that first serialises every taker (SQLite's IMMEDIATE write
lock; on PostgreSQL an advisory lock, and the lease row read FOR UPDATE so a renewal racing a
takeover waits and then finds the lease gone). Expiry times are the database server's clock on
PostgreSQL, so hosts whose clocks disagree still agree on when a lease expired. Whoever takes the
lease marks the runs its dead predecessor left "running" as failed: only the holder runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import peewee as pw

from tui_inventory.errors import LeaseHeld
from tui_inventory.store.base import StoreBase
from tui_inventory.store.records import now_iso
from tui_inventory.store.schema import LEASE_LOCK, advisory_lock, is_postgres

log = logging.getLogger(__name__)

LEASE_NAME = "sync"
DEFAULT_TTL = 60.0

# Holders this process has taken and not released. A lease row naming this process with another
# holder is stale: its release failed (a full disk, a lost database), and it must not refuse this
# process's next sync until it expires.
_held_here: set[str] = set()


@dataclass(frozen=True)
class LeaseInfo:
    holder: str
    host: str
    pid: int
    since: str
    expires: float

    def describe(self) -> str:
        return f"{self.host}, pid {self.pid}, since {self.since[:19].replace('T', ' ')} UTC"


def holds_for_events(store: StoreBase, info: LeaseInfo) -> bool:
    """Whether the holder of the lease `info` holds it for its event listener alone: a daemon or
    a console with events on keeps the lease for its whole life (SPEC §10: only the holder
    listens), and between its syncs runs nothing but its event run."""
    run = store.m.run
    modes = {
        mode
        for (mode,) in run.select(run.mode)
        .where((run.state == "running") & (run.host == info.host) & (run.pid == info.pid))
        .tuples()
    }
    return modes == {"event"}


def held_message(store: StoreBase, info: LeaseInfo) -> str:
    """Why a sync cannot start while `info`'s holder has the lease, in one sentence."""
    if holds_for_events(store, info):
        return (
            f"the sync lease is held by a console or daemon with events on ({info.describe()}): "
            "it listens for event notifications and runs the periodic syncs itself, so no "
            "other sync runs while it does; stop it, or sync from it"
        )
    return f"sync already running ({info.describe()})"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def database_time(store: StoreBase) -> float:
    """Now, in seconds since the epoch, by the clock every host of this database agrees on."""
    if is_postgres(store.db):
        (value,) = store.db.execute_sql("SELECT EXTRACT(EPOCH FROM clock_timestamp())").fetchone()
        return float(value)
    return time.time()  # a SQLite file is shared by the processes of one host


def current_lease(store: StoreBase, *, for_update: bool = False) -> LeaseInfo | None:
    lease = store.m.lease
    query = lease.select().where(lease.name == LEASE_NAME)
    if for_update and is_postgres(store.db):
        query = query.for_update()
    row = query.first()
    if row is None:
        return None
    return LeaseInfo(row.holder, row.host, row.pid, row.since, row.expires)


def live_lease(store: StoreBase) -> LeaseInfo | None:
    """The lease if a sync holds it now (not expired, holder alive), else None."""
    info = current_lease(store)
    return info if lease_is_live(info, database_time(store)) else None


def lease_is_live(info: LeaseInfo | None, now: float | None = None) -> bool:
    if info is None:
        return False
    if info.expires <= (now if now is not None else time.time()):
        return False
    if info.host == socket.gethostname() and info.pid == os.getpid():
        return info.holder in _held_here
    return not (info.host == socket.gethostname() and not _process_alive(info.pid))


class SyncLease:
    """Take with `acquire()` (raises LeaseHeld), keep alive with a heartbeat, `release()` at the end."""

    def __init__(
        self,
        store: StoreBase,
        ttl: float = DEFAULT_TTL,
        *,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.on_lost = on_lost  # called from the heartbeat thread when another took the lease
        self.holder = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        lease = self.store.m.lease
        with self.store.transaction():
            advisory_lock(self.store.db, LEASE_LOCK)
            info = current_lease(self.store, for_update=True)
            now = database_time(self.store)
            if info is not None and info.holder != self.holder and lease_is_live(info, now):
                raise LeaseHeld(held_message(self.store, info))
            lease.delete().where(lease.name == LEASE_NAME).execute()
            lease.insert(
                name=LEASE_NAME,
                holder=self.holder,
                host=self.host,
                pid=self.pid,
                since=now_iso(),
                expires=now + self.ttl,
            ).execute()
            if info is not None and info.holder != self.holder:
                self._close_abandoned_runs(info)
            # Before the commit: another store of this process must find it held from the start.
            _held_here.add(self.holder)
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self._thread.start()

    def _close_abandoned_runs(self, previous: LeaseInfo) -> None:
        """Runs still "running" belong to a holder that died (only the holder runs)."""
        run, tr = self.store.m.run, self.store.m.type_run
        reason = f"interrupted: the sync on {previous.host} (pid {previous.pid}) stopped"
        stamp = now_iso()
        tr.update(state="failed", reason=reason, finished_at=stamp).where(
            tr.state == "running"
        ).execute()
        n = (
            run.update(state="failed", reason=reason, finished_at=stamp)
            .where(run.state == "running")
            .execute()
        )
        if n:
            log.warning(
                "took over the sync lease from %s; %d run(s) marked failed", previous.host, n
            )

    def renew(self) -> bool:
        lease = self.store.m.lease
        with self.store.transaction():
            n = (
                lease.update(expires=database_time(self.store) + self.ttl)
                .where((lease.name == LEASE_NAME) & (lease.holder == self.holder))
                .execute()
            )
        return bool(n > 0)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.ttl / 3):
                try:
                    if not self.renew():
                        log.error("the sync lease was taken over by another sync")
                        if self.on_lost is not None:
                            self.on_lost()
                        return
                except pw.PeeweeException:  # a busy or unreachable database: try again
                    log.warning("could not renew the sync lease", exc_info=True)
        finally:
            with contextlib.suppress(pw.PeeweeException):
                self.store.db.close()  # this thread's own connection

    def release(self) -> None:
        _held_here.discard(self.holder)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        lease = self.store.m.lease
        try:
            with self.store.transaction():
                lease.delete().where(
                    (lease.name == LEASE_NAME) & (lease.holder == self.holder)
                ).execute()
        except pw.PeeweeException:  # never mask the error that ends a run; the lease expires
            log.warning("could not release the sync lease; it expires in %.0f s", self.ttl)

    def __enter__(self) -> SyncLease:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
