"""The engine ↔ console adapter: runs the SyncEngine in a thread worker and posts its events.

The engine knows nothing of Textual; this widget (non-visual) runs it off the UI thread, turns
each engine event into a Message (progress bursts coalesce, see `SyncProgress.can_replace`) and,
in its one `Worker.StateChanged` handler, turns every way a run can end — a result, a typed error,
a bug — into a Message the app shows. A failure never takes the console down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from textual import work
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from tui_inventory import logs
from tui_inventory.config import Config
from tui_inventory.errors import InventoryError, LeaseHeld
from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import PasswordSource, RunResult, SyncEngine
from tui_inventory.text import plain

from .events_link import EventsLink
from .messages import (
    CleanupSettled,
    SyncEvent,
    SyncFinished,
    SyncProgress,
    SyncRefused,
    SyncStarted,
)

log = logging.getLogger(__name__)

RETRY_BUSY = 60.0  # seconds before a scheduled run that found another one running tries again


def describe_failure(error: BaseException | None) -> SyncRefused:
    """The operator's title and sentence for an exception that ended a run or a cleanup."""
    if isinstance(error, LeaseHeld):
        return SyncRefused(error.title, plain(error.message), lease_held=True)
    if isinstance(error, InventoryError):
        return SyncRefused(error.title, plain(error.message))
    # A bug: the details (redacted) go to the log file, the screen gets one sentence.
    log.error("the sync worker failed", exc_info=error)
    name = type(error).__name__ if error is not None else "unknown error"
    detail = plain(logs.redact(str(error or "")), limit=200)
    return SyncRefused(
        "Internal error",
        f"the sync stopped on an unexpected {name}{': ' + detail if detail else ''}; "
        "details are in the log file",
    )


class SyncWorker(Widget):
    """Starts, cancels and reports sync runs and held-back cleanup decisions; one at a time."""

    DEFAULT_CSS = """
    SyncWorker { display: none; }
    """

    def __init__(
        self,
        store: Store,
        *,
        config: Callable[[], Config],
        passwords: PasswordSource,
        before_update: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._config = config
        self._passwords = passwords
        self._before_update = before_update
        self._engine: SyncEngine | None = None
        self._cleanup_busy = False
        self._cleanup: tuple[str, bool] = ("", False)
        self._cancel_requested = threading.Event()
        self._timer: Timer | None = None
        self.next_at: float | None = None  # time.time() of the next scheduled run
        self._idle = threading.Event()  # no worker thread is using the store
        self._idle.set()
        self.events: EventsLink | None = None  # event notifications, when this console has them

    # -- state (UI thread) ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """A run or a cleanup decision is under way in the worker thread."""
        return self._engine is not None or self._cleanup_busy

    @property
    def cancelling(self) -> bool:
        return self._engine is not None and self._cancel_requested.is_set()

    def _password(self, api: str) -> str | None:
        # Called by the engine in the worker thread. Whatever the source, the value is masked
        # in every log line from now on.
        value = self._passwords(api)
        logs.register_secret(value)
        return value

    def _new_engine(self) -> SyncEngine:
        return SyncEngine(
            self._config(), self._store, passwords=self._password, on_event=self._on_event
        )

    def start(self, mode: str, *, allow_mass_delete: bool = False) -> bool:
        """Start a run (`auto`, `buildup` or `update`); False when one is already running."""
        if self.running:
            return False
        self.unschedule()
        self._cancel_requested.clear()
        self._idle.clear()
        self._engine = self._new_engine()
        self.post_message(SyncStarted(mode))
        self._run(self._engine, mode, allow_mass_delete)
        return True

    def schedule(self, delay: float) -> None:
        """Run `auto` in `delay` seconds (replacing any earlier plan); skipped if one runs then.

        The app schedules the next run when one ends (poll, then schedule): runs never overlap.
        """
        self.unschedule()
        self.next_at = time.time() + delay
        self._timer = self.set_timer(delay, self._scheduled, name="next sync")

    def unschedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.next_at = None

    def _scheduled(self) -> None:
        self._timer, self.next_at = None, None
        if not self.start("auto"):
            self.schedule(RETRY_BUSY)  # a cleanup decision is running: try again shortly

    def cancel(self) -> bool:
        """Ask the running run to stop (between pages); False when nothing runs."""
        engine = self._engine
        if engine is None:
            return False
        self._cancel_requested.set()
        engine.cancel()
        return True

    def decide_cleanup(self, kind: str, *, confirm: bool) -> bool:
        """Run (confirm) or discard a held-back cleanup; False while a sync runs."""
        if self.running:
            return False
        self._cleanup_busy = True
        self._idle.clear()
        self._cleanup = (kind, confirm)
        self._settle(kind, confirm)
        return True

    def on_unmount(self) -> None:
        # The console is closing: a thread cannot be killed, so the run is asked to stop after
        # its current page; `wait_idle` lets the caller wait for that before closing the store.
        self.unschedule()
        self.cancel()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no worker thread uses the store (after the app exited); False on timeout."""
        return self._idle.wait(timeout)

    # -- worker threads ---------------------------------------------------------------------

    def _on_event(self, event: ev.EngineEvent) -> None:
        engine = self._engine
        # A cancel pressed before the engine started (run() clears its flag) still counts.
        if engine is not None and self._cancel_requested.is_set() and not engine.cancelled:
            engine.cancel()
        if isinstance(event, ev.PageStored):
            self.post_message(SyncProgress(event))
        else:
            self.post_message(SyncEvent(event))

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync", name="sync run")
    def _run(self, engine: SyncEngine, mode: str, allow_mass_delete: bool) -> RunResult:
        try:
            if mode == "auto":
                mode = engine.choose_mode()
            if mode == "update" and self._before_update is not None:
                self._before_update()
            link = self.events
            if link is None:
                return engine.run(mode, allow_mass_delete=allow_mass_delete)
            # As the daemon does: the events start (or have started) first and hold the lease;
            # the run uses it. Reading `link.lease` while the events' start was still under way
            # made the run take a lease of its own and collide with theirs.
            link.start_before_run()
            engine.shared_lease = link.lease  # the lease the events hold (None: they failed)
            with link.around_run():
                return engine.run(mode, allow_mass_delete=allow_mass_delete)
        finally:
            self._store.close()  # this thread's connection only (peewee keeps one per thread)
            self._idle.set()

    @work(thread=True, exclusive=True, exit_on_error=False, group="cleanup", name="cleanup")
    def _settle(self, kind: str, confirm: bool) -> CleanupSettled:
        engine = SyncEngine(self._config(), self._store, passwords=self._password)
        try:
            if confirm:
                return CleanupSettled(kind, True, engine.confirm_cleanup(kind))
            engine.discard_cleanup(kind)
            return CleanupSettled(kind, False, 0)
        finally:
            self._store.close()
            self._idle.set()

    # -- the one place a worker's end becomes visible ---------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "sync":
            if event.state == WorkerState.CANCELLED and self._engine is not None:
                # Textual cancels workers when the app exits, but a thread runs on: stop it.
                self._engine.cancel()
            self._engine = None
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, RunResult):
                self.post_message(SyncFinished(worker.result))
            elif event.state == WorkerState.ERROR:
                self.post_message(describe_failure(worker.error))
        elif worker.group == "cleanup":
            self._cleanup_busy = False
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, CleanupSettled):
                self.post_message(worker.result)
            elif event.state == WorkerState.ERROR:
                failure = describe_failure(worker.error)
                kind, confirm = self._cleanup
                self.post_message(CleanupSettled(kind, confirm, 0, failure.message))
