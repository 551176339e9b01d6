"""The headless sync daemon (`tui-inventory sync`): a buildup when one is needed, then periodic
updates, for as long as it runs; its progress as one JSON object per line on stdout.

SIGTERM (or SIGINT) lets the page being stored finish, ends the run as cancelled, releases the
lease and exits 0; the interrupted buildup resumes at the next start. While another sync holds the
lease, the daemon waits as a standby and retries every half lease time-to-live, so when the holder
dies (its lease expires, or on the same host its process is gone) the standby takes over.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from tui_inventory.config import Config
from tui_inventory.errors import InventoryError, LeaseHeld
from tui_inventory.events.runner import EventsInProcess
from tui_inventory.store.db import UNAVAILABLE
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine

log = logging.getLogger(__name__)

DB_RETRY = 30.0  # seconds before trying again after the database failed a run


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JsonReporter:
    """Engine events as JSON lines: `time`, `level`, `event`, then `run`, `kind`, `counters`…

    Page progress is written at most once per `interval` per inventory; everything else always.
    Lines are pure ASCII (json escapes the rest), so upstream text cannot reach a terminal raw.
    """

    def __init__(self, out: TextIO | None = None, *, interval: float = 1.0) -> None:
        self.out = out
        self.interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._closed = False  # the reader went away: the sync goes on, unwritten
        # Told every line written (its event name and fields): systemd's STATUS= follows them.
        self.on_emit: Callable[[str, dict[str, Any]], None] | None = None

    def emit(self, level: str, event: str, **fields: Any) -> None:
        if self.on_emit is not None:
            try:
                self.on_emit(event, fields)
            except Exception:  # a broken listener must never break the daemon
                log.exception("the daemon's status listener failed")
        record = {"time": _iso(datetime.now(UTC)), "level": level, "event": event, **fields}
        line = json.dumps(record, ensure_ascii=True, default=str)
        with self._lock:
            if self._closed:
                return
            try:
                print(line, file=self.out or sys.stdout, flush=True)
            except BrokenPipeError:
                self._closed = True
                log.warning("the JSON log's reader went away; its events are no longer written")

    def __call__(self, event: ev.Event) -> None:
        run = event.run_id
        if isinstance(event, ev.RunStarted):
            self.emit("info", "run_started", run=run, mode=event.mode, kinds=list(event.kinds))
        elif isinstance(event, ev.TypeStarted):
            self.emit(
                "info",
                "type_started",
                run=run,
                kind=event.kind,
                mode=event.mode,
                first_page=event.first_page,
            )
        elif isinstance(event, ev.PageStored):
            now = time.monotonic()
            if now - self._last.get(event.kind, float("-inf")) < self.interval:
                return
            self._last[event.kind] = now
            received = event.counters.received
            self.emit(
                "info",
                "page_stored",
                run=run,
                kind=event.kind,
                page=event.page,
                items=event.items,
                pages=event.pages_done,
                total=event.total,
                counters=event.counters.as_dict(),
                rate=round(received / event.elapsed, 1) if event.elapsed > 0 else 0.0,
            )
        elif isinstance(event, ev.GapRecorded):
            self.emit(
                "error", "gap", run=run, kind=event.kind, page=event.page, reason=event.reason
            )
        elif isinstance(event, ev.CleanupHeld):
            self.emit(
                "warning",
                "cleanup_held",
                run=run,
                kind=event.kind,
                would_remove=event.would_remove,
                total=event.total,
            )
        elif isinstance(event, ev.CleanupDone):
            self.emit("info", "cleanup_done", run=run, kind=event.kind, removed=event.removed)
        elif isinstance(event, ev.TypeFinished):
            self._last.pop(event.kind, None)
            self.emit(
                "info" if event.state == "succeeded" else "warning",
                "type_finished",
                run=run,
                kind=event.kind,
                state=event.state,
                reason=event.reason,
                counters=event.counters.as_dict(),
            )
        elif isinstance(event, ev.Logged) and event.level in ("warning", "error"):
            self.emit(event.level, "log", run=run, kind=event.kind, message=event.message)
        elif isinstance(event, ev.RunFinished):
            self.emit(
                "info" if event.state == "succeeded" else "warning",
                "run_finished",
                run=run,
                mode=event.mode,
                state=event.state,
                reason=event.reason,
            )


class Daemon:
    """Runs `engine` until stopped; `stop()` may be called from a signal handler."""

    def __init__(
        self,
        engine: SyncEngine,
        config: Config,
        reporter: JsonReporter,
        *,
        mode: str = "auto",
        allow_mass_delete: bool = False,
    ) -> None:
        self.engine = engine
        self.config = config
        self.reporter = reporter
        self.mode = mode
        self.allow_mass_delete = allow_mass_delete
        self._stop = threading.Event()
        self._signal: str | None = None
        listener = engine.on_event

        def on_event(event: ev.Event) -> None:
            # A stop that came just before the run began (run() clears the cancel flag) still
            # ends it: re-cancel on the run's first events.
            if self._stop.is_set():
                engine.cancel()
            listener(event)

        engine.on_event = on_event
        # Event notifications (SPEC §10), when events.enabled: listening under the lease.
        self.events = EventsInProcess(
            engine, say=lambda level, event, fields: reporter.emit(level, event, **fields)
        )

    def stop(self) -> None:
        self._stop.set()
        self.engine.cancel()

    def install_signal_handlers(self) -> None:
        def on_signal(signum: int, frame: Any) -> None:
            # No output here: the handler may interrupt a write to stdout. `run` reports it.
            self._signal = self._signal or signal.Signals(signum).name
            self.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def run(self) -> int:
        emit = self.reporter.emit
        frequency = float(self.config.sync.update_frequency)
        standby = min(max(self.engine.lease_ttl / 2, 1.0), 60.0)
        emit(
            "info",
            "daemon_started",
            update_frequency=frequency,
            lease_ttl=self.engine.lease_ttl,
        )
        waiting_for_lease = False
        while not self._stop.is_set():
            wait = frequency
            try:
                self.events.start()
                with self.events.around_run():
                    result = self.engine.run(self.mode, allow_mass_delete=self.allow_mass_delete)
                self.mode = "auto"
                waiting_for_lease = False
                if result.state == "cancelled" and not self._stop.is_set():
                    wait = standby  # the lease was lost to another sync: stand by
            except LeaseHeld as exc:
                if not waiting_for_lease:  # say it once, not every retry
                    emit("warning", "lease_held", message=exc.message, retry_every=standby)
                waiting_for_lease = True
                wait = standby
            except InventoryError as exc:
                emit("error", "run_failed", message=exc.message)
            except UNAVAILABLE as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                emit("error", "database_unavailable", message=first, retry_in=DB_RETRY)
                wait = DB_RETRY
            if self._stop.is_set():
                break
            if not waiting_for_lease:
                next_at = datetime.now(UTC) + timedelta(seconds=wait)
                emit("info", "waiting", next_run_at=_iso(next_at), seconds=wait)
            self._stop.wait(wait)
        emit("info", "stopping", signal=self._signal)
        self.events.stop()
        emit("info", "daemon_stopped")
        return 0
