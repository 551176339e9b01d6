"""The event stream: notices from the listener applied to the store, in order per instance.

Each notice goes to one of a few lanes by its instance (inventory and key), so the events of one
instance are applied one after another in arrival order while different instances proceed side by
side. Applying one: skip it when its `eventId` was applied before (remembered in the store, so
across a restart too); read the instance back from the upstream by its key; store it by the
update's rules (modems keep their stored status; a service that is not Operational is removed);
a delete event removes the instance only when that read answers 404, otherwise the read state is
kept. The `eventId`, the instance and the type run's counters are written in one transaction,
under the sync lease: a process killed half-way applied neither, and the next update repairs.

All revisions carry one long-lived run of mode `event` (a type run per inventory as events come),
so history, the Changes feed, `status` and the counters say what came by event.

`pause()` holds the notices while a buildup or update stores (a page fetched before an event but
stored after it would put the older state back); `resume()` applies them, each read afresh.
"""

from __future__ import annotations

import collections
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tui_inventory.config import Config
from tui_inventory.domain import Counters
from tui_inventory.errors import InventoryError
from tui_inventory.events.notices import Notice
from tui_inventory.events.upstream import PasswordSource, ReadFailed, make_client, read_instance
from tui_inventory.store import events as store_events
from tui_inventory.store.repo import Store, now_iso
from tui_inventory.tmf.client import RetryPolicy, TmfClient
from tui_inventory.tmf.definitions import DEFINITIONS
from tui_inventory.tmf.mapping import Mapped, Skip, map_entity

log = logging.getLogger(__name__)

LANES = 8
LANE_DEPTH = 10_000  # notices waiting per lane; past it they are dropped (the next update repairs)
COMMIT_BATCH = 200  # notices read back and waiting for their commit, committed together at most

# A notice read back: (notice, inventory, the upstream answered 404, what it maps to, outcome so
# far: "" or "skipped").
Ready = tuple[Notice, str, bool, "Mapped | None", str]


@dataclass(frozen=True)
class Applied:
    """One notice done: what the store did (`created`, `changed`, `removed`, `unchanged`,
    `duplicate`, `kept`, `skipped`, `failed`) and the seconds from arrival to commit."""

    notice: Notice
    outcome: str
    latency: float
    run: int


OnApplied = Callable[[Applied], None]

# Skipped events of one reason logged one by one per inventory, then only counted (as the sync's
# sync/preparation.py LOGGED_PER_REASON: the events layer does not import the sync's).
LOGGED_PER_REASON = 20


@dataclass
class StreamStats:
    received: int = 0
    applied: int = 0
    duplicates: int = 0
    dropped: int = 0
    failed: int = 0
    last_arrival: float | None = None  # wall clock


class EventStream:
    """Apply notices (`submit`) to `store`; `start()` opens the event run, `stop()` closes it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        passwords: PasswordSource,
        lease_holder: str | None,
        retry: RetryPolicy | None = None,
        on_applied: OnApplied | None = None,
        lanes: int = LANES,
    ) -> None:
        self.config = config
        self.store = store
        self.passwords = passwords
        self.lease_holder = lease_holder
        self.retry = retry
        self.on_applied = on_applied or (lambda a: None)
        self.stats = StreamStats()
        self.latencies: collections.deque[float] = collections.deque(maxlen=100_000)
        self.run_id = 0
        self._lanes = [queue.Queue[Notice | None](LANE_DEPTH) for _ in range(lanes)]
        self._threads: list[threading.Thread] = []
        self._clients: dict[str, TmfClient] = {}
        self._client_lock = threading.Lock()
        self._commits: queue.Queue[Ready | None] = queue.Queue()
        self._committer: threading.Thread | None = None
        self._pending: dict[str, dict[str, Mapped]] = {}  # kind -> key -> instance, per batch
        self._counters: dict[str, Counters] = {}
        self._gate = threading.Event()
        self._gate.set()
        self._idle = threading.Condition()
        self._busy = 0
        self._said_full = False
        self._skips: collections.Counter[tuple[str, str]] = collections.Counter()
        self._skips_lock = threading.Lock()

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> EventStream:
        store_events.forget_oldest(self.store)
        self.run_id = self.store.start_run("event", socket.gethostname(), os.getpid())
        self._skips.clear()  # (counted per event run)
        self.log("info", None, "event stream started")
        for i, lane in enumerate(self._lanes):
            t = threading.Thread(target=self._work, args=(lane,), name=f"events-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._committer = threading.Thread(
            target=self._commit_all, name="events-commit", daemon=True
        )
        self._committer.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Apply what is queued (within `timeout`), then close the event run."""
        self._gate.set()
        for lane in self._lanes:
            lane.put(None)
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        self._commits.put(None)
        if self._committer is not None:
            self._committer.join(max(0.0, deadline - time.monotonic()))
            self._committer = None
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self.run_id:
            stamp = now_iso()
            for kind, counters in self._counters.items():
                self.store.update_type_run(
                    self.run_id, kind, counters, state="succeeded", finished_at=stamp
                )
            self.store.finish_run(self.run_id, "succeeded")
            s = self.stats
            self.log(
                "info",
                None,
                f"event stream stopped: {s.received} received, {s.applied} applied, "
                f"{s.duplicates} repeated, {s.dropped} dropped, {s.failed} failed",
            )

    def pause(self) -> None:
        """Hold the notices (they queue) and return once none is being applied."""
        self._gate.clear()
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0)

    def resume(self) -> None:
        self._gate.set()

    # -- notices --------------------------------------------------------------------------------

    def submit(self, notice: Notice) -> None:
        """Queue one notice (from the listener's thread); never blocks."""
        self.stats.received += 1
        self.stats.last_arrival = time.time()
        lane = self._lanes[hash((notice.kind, notice.key)) % len(self._lanes)]
        try:
            lane.put_nowait(notice)
        except queue.Full:
            self.stats.dropped += 1
            if not self._said_full:
                self._said_full = True
                self.log(
                    "warning",
                    None,
                    "events arrive faster than they are applied; "
                    "some were dropped (the next update repairs them)",
                )

    def _work(self, lane: queue.Queue[Notice | None]) -> None:
        try:
            while True:
                notice = lane.get()
                if notice is None:
                    return
                self._gate.wait()
                with self._idle:
                    self._busy += 1
                try:
                    self._apply(notice)
                except Exception:  # one event never stops the stream
                    log.exception("applying an event failed")
                    self._done(notice, "failed")
        finally:
            self.store.db.close()  # this thread's connection

    def _client(self, kind: str) -> TmfClient:
        api = DEFINITIONS[kind].api
        with self._client_lock:
            client = self._clients.get(api)
            if client is None:
                client = make_client(self.config, api, self.passwords, self.retry)
                self._clients[api] = client
            return client

    def _apply(self, notice: Notice) -> None:
        kind, key = notice.kind, notice.key
        if notice.event_id and store_events.already_applied(self.store, notice.event_id):
            self._done(notice, "duplicate")
            return
        if kind == "services" and self._is_stored_carrier(key):
            kind = "carriers"
        try:
            raw = read_instance(self._client(kind), self.config, kind, key)
        except (ReadFailed, InventoryError) as exc:
            why = exc.message if isinstance(exc, InventoryError) else str(exc)
            self.log("warning", kind, f"{kind}: event for {key!r} not applied: {why}")
            self._done(notice, "failed", kind)
            return
        mapped: Mapped | None = None
        outcome = ""
        if raw is not None:
            try:
                mapped = map_entity(
                    kind,
                    raw,
                    dialect=self.config.sync.dialect,
                    service_status=self.store.service_status,
                )
            except Skip as exc:
                outcome = "skipped"
                self._log_skip(kind, exc.reason, f"{kind}: event for {key!r} skipped: {exc.reason}")
        self._commits.put((notice, kind, raw is None, mapped, outcome))

    def _commit_all(self) -> None:
        """Commit the notices read back, as many as are ready in one transaction (a group commit:
        one transaction per event could not keep up with 100 events a second on a server)."""
        try:
            while True:
                item = self._commits.get()
                if item is None:
                    return
                batch = [item]
                stopping = False
                while len(batch) < COMMIT_BATCH:
                    try:
                        more = self._commits.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stopping = True
                        break
                    batch.append(more)
                self._commit(batch)
                if stopping:
                    return
        finally:
            self.store.db.close()  # this thread's connection

    def _commit(self, batch: list[Ready]) -> None:
        outcomes: list[str] = []
        try:
            with self.store.transaction():
                if self.lease_holder is not None and not self.store.holds_lease(self.lease_holder):
                    outcomes = ["failed"] * len(batch)
                    self.log(
                        "warning",
                        None,
                        f"{len(batch)} event(s) not applied: the sync lease is no longer "
                        "this process's",
                    )
                else:
                    touched: set[str] = set()
                    for notice, kind, gone, mapped, outcome in batch:
                        if notice.event_id and not store_events.mark_applied(
                            self.store, notice.event_id
                        ):
                            outcome = "duplicate"
                        else:
                            outcome = outcome or self._write(kind, notice.key, notice, gone, mapped)
                            self._count(kind, outcome)
                            touched.add(kind)
                        outcomes.append(outcome)
                    self._flush()
                    for kind in touched:
                        self.store.update_type_run(self.run_id, kind, self._counters[kind])
        except Exception:
            log.exception("storing %d event(s) failed", len(batch))
            outcomes = ["failed"] * len(batch)
        finally:
            self._pending.clear()
        for (notice, kind, *_), outcome in zip(batch, outcomes, strict=True):
            self._done(notice, outcome, kind)

    def _write(self, kind: str, key: str, notice: Notice, gone: bool, mapped: Mapped | None) -> str:
        run = self.run_id
        if gone:
            if notice.action == "deleted":
                self._flush(kind, key)
                n = store_events.remove_instance(self.store, kind, run, key)
                return "removed" if n else "unchanged"
            self.log(
                "info",
                kind,
                f"{kind}: {notice.event_type} for {key!r}, but the upstream "
                "answers 404; kept until polling decides",
            )
            return "kept"
        if mapped is None:
            return "skipped"
        if kind == "services" and mapped.status != "Operational":
            self._flush(kind, key)
            n = store_events.remove_instance(self.store, kind, run, key)
            return "removed" if n else "unchanged"
        if notice.action == "deleted":
            self.log(
                "info", kind, f"{kind}: delete event for {key!r} ignored: the upstream still has it"
            )
        # Stored with the batch's others of its inventory, in one statement each (`_flush`).
        self._pending.setdefault(kind, {})[key] = mapped
        return "stored"

    def _flush(self, kind: str | None = None, key: str | None = None) -> None:
        """Store the instances waiting in this transaction: all, or `kind`'s when `key` waits
        (a removal of it comes next and must find it stored)."""
        kinds = list(self._pending) if kind is None else [kind]
        for k in kinds:
            items = self._pending.get(k)
            if not items or (key is not None and key not in items):
                continue
            del self._pending[k]
            c = store_events.store_instances(self.store, k, self.run_id, list(items.values()))
            counters = self._counters[k]
            counters.created += c.created
            counters.updated += c.updated
            counters.unchanged += c.unchanged

    def _count(self, kind: str, outcome: str) -> None:
        counters = self._counters.get(kind)
        if counters is None:
            counters = self._counters[kind] = Counters()
            self.store.start_type_run(self.run_id, kind, "event")
        counters.received += 1
        field = {
            "created": "created",
            "changed": "updated",
            "removed": "removed",
            "skipped": "skipped",
            "failed": "failed",
        }.get(outcome, "unchanged")
        if outcome != "stored":  # counted by `_flush`, as the store found it
            setattr(counters, field, getattr(counters, field) + 1)

    def _is_stored_carrier(self, key: str) -> bool:
        return (
            self.store.get("carriers", key) is not None and self.store.get("services", key) is None
        )

    def _done(self, notice: Notice, outcome: str, kind: str | None = None) -> None:
        latency = time.monotonic() - notice.received if notice.received else 0.0
        if outcome == "duplicate":
            self.stats.duplicates += 1
        elif outcome == "failed":
            self.stats.failed += 1
        else:
            self.stats.applied += 1
            self.latencies.append(latency)
        try:
            self.on_applied(Applied(notice, outcome, latency, self.run_id))
        except Exception:
            log.exception("event listener failed")
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _log_skip(self, kind: str, reason: str, message: str) -> None:
        """A skipped event, logged as the sync logs its skips: the first LOGGED_PER_REASON of
        one reason (per inventory, per event run) one by one, then once that the others are only
        counted (the filtered resource types flooded the sync log, a line each)."""
        why = (kind, reason.split(" ")[0])
        with self._skips_lock:
            self._skips[why] += 1
            n = self._skips[why]
        if n <= LOGGED_PER_REASON:
            self.log("info", kind, message)
        elif n == LOGGED_PER_REASON + 1:
            self.log(
                "info",
                kind,
                f"{kind}: more events skipped for the same reason ({why[1]}); "
                "only counted from now on",
            )

    def log(self, level: str, kind: str | None, message: str) -> None:
        getattr(log, level)("%s", message)
        try:
            self.store.log(self.run_id or None, level, kind, message)
        except Exception:
            log.exception("could not write the sync log")
