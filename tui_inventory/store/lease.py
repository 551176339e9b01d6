"""The single-sync lease: at most one sync runs against a database, across processes and hosts.

The holder renews the lease while it works; a lease not renewed within its time-to-live has
expired and may be taken over (its holder died). On the same host a holder whose process is gone is
recognised at once, so a sync killed with SIGKILL can be resumed without waiting.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass

from tui_inventory.errors import LeaseHeld
from tui_inventory.store.repo import Store, now_iso

LEASE_NAME = "sync"
DEFAULT_TTL = 60.0


@dataclass(frozen=True)
class LeaseInfo:
    holder: str
    host: str
    pid: int
    since: str
    expires: float

    def describe(self) -> str:
        return f"{self.host}, pid {self.pid}, since {self.since[:19].replace('T', ' ')} UTC"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def current_lease(store: Store) -> LeaseInfo | None:
    row = store.m.lease.get_or_none(store.m.lease.name == LEASE_NAME)
    if row is None:
        return None
    return LeaseInfo(row.holder, row.host, row.pid, row.since, row.expires)


def lease_is_live(info: LeaseInfo | None, now: float | None = None) -> bool:
    if info is None:
        return False
    if info.expires <= (now if now is not None else time.time()):
        return False
    return not (info.host == socket.gethostname() and not _process_alive(info.pid))


class SyncLease:
    """Take with `acquire()` (raises LeaseHeld), keep alive with a heartbeat, `release()` at the end."""

    def __init__(self, store: Store, ttl: float = DEFAULT_TTL) -> None:
        self.store = store
        self.ttl = ttl
        self.holder = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    def acquire(self) -> None:
        lease = self.store.m.lease
        with self.store.transaction():
            info = current_lease(self.store)
            if info is not None and info.holder != self.holder and lease_is_live(info):
                raise LeaseHeld(f"sync already running ({info.describe()})")
            lease.delete().where(lease.name == LEASE_NAME).execute()
            lease.insert(
                name=LEASE_NAME,
                holder=self.holder,
                host=self.host,
                pid=self.pid,
                since=now_iso(),
                expires=time.time() + self.ttl,
            ).execute()
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self._thread.start()

    def renew(self) -> bool:
        lease = self.store.m.lease
        with self.store.transaction():
            n = (
                lease.update(expires=time.time() + self.ttl)
                .where((lease.name == LEASE_NAME) & (lease.holder == self.holder))
                .execute()
            )
        if n == 0:
            self.lost = True
        return n > 0

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.renew():
                    return
            except Exception:  # a busy database: try again on the next beat
                continue

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        lease = self.store.m.lease
        with self.store.transaction():
            lease.delete().where(
                (lease.name == LEASE_NAME) & (lease.holder == self.holder)
            ).execute()

    def __enter__(self) -> SyncLease:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
