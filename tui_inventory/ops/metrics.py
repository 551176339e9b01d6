"""The daemon's Prometheus metrics (SPEC §12), on a registry of our own (not the library's global
default, so nothing else a library registers leaks into `/metrics`).

Counters start at zero with the process and are fed by the engine's events (`Metrics` is an event
listener, like the daemon's JSON reporter) and by the HTTP client (a response hook the client
factory installs). Gauges (instances, freshness, held cleanups, the lease) are read from the store
when scraped, so they are right from the first scrape, whoever synced. No label carries an
instance id: labels are inventories, modes, outcomes, change kinds, APIs and status codes only.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram, Info
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tui_inventory import KINDS, __version__
from tui_inventory.errors import InventoryError
from tui_inventory.store.db import DatabaseError
from tui_inventory.store.freshness import last_successes
from tui_inventory.store.lease import live_lease
from tui_inventory.sync import events as ev
from tui_inventory.tmf.client import TmfClient

if TYPE_CHECKING:
    from tui_inventory.store.repo import Store

log = logging.getLogger(__name__)

PREFIX = "tui_inventory"
MODES = ("buildup", "update")
OUTCOMES = ("succeeded", "partial", "failed", "cancelled")
# The revision's words for what happened to an instance (the engine counts "updated").
CHANGES = ("created", "changed", "removed")
PAGE_OUTCOMES = ("stored", "failed")  # failed: a gap, the page given up after its retries
EventOutcome = Literal["applied", "duplicate", "rejected", "failed"]
EVENT_OUTCOMES: tuple[EventOutcome, ...] = ("applied", "duplicate", "rejected", "failed")
# From a few seconds (an update of a small inventory) to a day (a buildup of millions).
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400)


class Metrics:
    """Every metric of the process. Call it with engine events; `client_factory` counts requests."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        kw: dict[str, Any] = {"namespace": PREFIX, "registry": self.registry}
        self.sync_runs = Counter(
            "sync_runs", "Sync runs finished, by mode and outcome.", ["mode", "outcome"], **kw
        )
        self.sync_run_duration = Histogram(
            "sync_run_duration_seconds",
            "How long sync runs took, by mode.",
            ["mode"],
            buckets=DURATION_BUCKETS,
            **kw,
        )
        self.changes = Counter(
            "changes",
            "Instances created, changed and removed by the sync, by inventory.",
            ["inventory", "change"],
            **kw,
        )
        self.pages = Counter(
            "pages",
            "Pages stored or given up (a gap), by inventory.",
            ["inventory", "outcome"],
            **kw,
        )
        self.http_requests = Counter(
            "http_requests",
            "Requests to the upstream APIs answered, by API and HTTP status code.",
            ["api", "code"],
            **kw,
        )
        self.events = Counter(
            "events", "Event notifications received, by outcome.", ["outcome"], **kw
        )
        self.build = Info("build", "The running version.", **kw)
        self.build.info({"version": __version__})
        # Every series a dashboard or an alert expects exists from the start, at 0.
        for mode in MODES:
            self.sync_run_duration.labels(mode)
            for outcome in OUTCOMES:
                self.sync_runs.labels(mode, outcome)
        for kind in KINDS:
            for change in CHANGES:
                self.changes.labels(kind, change)
            for page_outcome in PAGE_OUTCOMES:
                self.pages.labels(kind, page_outcome)
        for event_outcome in EVENT_OUTCOMES:
            self.events.labels(event_outcome)
        self._lock = threading.Lock()
        self._started: dict[int, float] = {}  # run id -> monotonic start
        self._seen: dict[tuple[int, str], ev.FrozenCounters] = {}  # counted so far, per type
        self._store: StoreCollector | None = None

    # -- feeds ----------------------------------------------------------------------------------

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            with self._lock:
                self._started[event.run_id] = time.monotonic()
        elif isinstance(event, ev.PageStored):
            self.pages.labels(event.kind, "stored").inc()
            self._count_changes(event.run_id, event.kind, event.counters)
        elif isinstance(event, ev.GapRecorded):
            self.pages.labels(event.kind, "failed").inc()
        elif isinstance(event, ev.TypeFinished):
            self._count_changes(event.run_id, event.kind, event.counters, last=True)
        elif isinstance(event, ev.RunFinished):
            with self._lock:
                started = self._started.pop(event.run_id, None)
            self.sync_runs.labels(event.mode, event.state).inc()
            if started is not None:
                self.sync_run_duration.labels(event.mode).observe(time.monotonic() - started)

    def _count_changes(
        self, run: int, kind: str, counters: ev.FrozenCounters, *, last: bool = False
    ) -> None:
        """Add what the type's cumulative counters gained since its previous event."""
        with self._lock:
            before = self._seen.pop(run_kind := (run, kind), ev.FrozenCounters())
            if not last:
                self._seen[run_kind] = counters
        for change, now, then in (
            ("created", counters.created, before.created),
            ("changed", counters.updated, before.updated),
            ("removed", counters.removed, before.removed),
        ):
            if now > then:
                self.changes.labels(kind, change).inc(now - then)

    def count_event(self, outcome: EventOutcome) -> None:
        """One event notification received (§10), by what became of it."""
        self.events.labels(outcome).inc()

    def count_response(self, api: str, code: int) -> None:
        self.http_requests.labels(api, str(code)).inc()

    def client_factory(
        self, base: Callable[..., TmfClient] = TmfClient
    ) -> Callable[..., TmfClient]:
        """A client factory for the engine whose clients count every answered request."""

        def make(api: str, *args: Any, **kwargs: Any) -> TmfClient:
            client = base(api, *args, **kwargs)

            def on_response(response: httpx.Response) -> None:
                self.count_response(api, response.status_code)

            client.http.event_hooks["response"].append(on_response)
            return client

        return make

    # -- gauges read from the store -------------------------------------------------------------

    def watch(self, store: Store) -> None:
        """Read the store's gauges at every scrape from now on."""
        if self._store is None:
            self._store = StoreCollector(store)
            self.registry.register(self._store)


class StoreCollector(Collector):
    """Instances, freshness, held cleanups and the lease, read from the store when scraped.

    A scrape runs on a thread of the HTTP server: the thread's own database connection is closed
    at the end, so scrapes leave no connection behind. A store that does not answer leaves these
    metrics out of the scrape (and `/readyz` says why) instead of failing `/metrics`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def describe(self) -> Iterable[Metric]:
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        instances, last, held, lease = families
        store = self.store
        try:
            counts = store.counts()
            successes = last_successes(store)
            holds = store.held_cleanups()
            info = live_lease(store)
        except (DatabaseError, InventoryError) as exc:
            log.warning("metrics: the store did not answer: %s", exc)
            return
        finally:
            store.db.close()
        for kind in KINDS:
            instances.add_metric([kind], counts.get(kind, 0))
            if kind in successes:
                last.add_metric([kind], successes[kind])
            record = holds.get(kind)
            held.add_metric([kind], record.would_remove if record else 0)
        ours = info is not None and info.host == socket.gethostname() and info.pid == os.getpid()
        lease.add_metric([], 1 if ours else 0)
        yield from families

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                f"{PREFIX}_instances", "Instances in the store, by inventory.", labels=["inventory"]
            ),
            GaugeMetricFamily(
                f"{PREFIX}_last_success_timestamp_seconds",
                "When the inventory's last successful sync finished (seconds since the epoch).",
                labels=["inventory"],
            ),
            GaugeMetricFamily(
                f"{PREFIX}_cleanup_held",
                "Instances a held-back cleanup would remove, waiting for an operator (0: none).",
                labels=["inventory"],
            ),
            GaugeMetricFamily(
                f"{PREFIX}_lease_held", "1 while this process holds the sync lease, else 0."
            ),
        ]


# The process's metrics: counters count from the moment the process starts.
METRICS = Metrics()


def event_outcome(stored: str) -> EventOutcome:
    """What the event stream did with a notice (`created`, `changed`, `removed`, `unchanged`,
    `kept`, `skipped`, `duplicate`, `failed`) as the metric's outcome."""
    if stored in ("duplicate", "failed"):
        return stored  # type: ignore[return-value]
    return "applied"


def count_event(outcome: EventOutcome) -> None:
    """For the event listener (§10): count one event notification by its outcome."""
    METRICS.count_event(outcome)
