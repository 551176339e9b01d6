"""The engine's state and its primitives: cancelling, reporting (events and the sync log) and
recording how a type ended. `SyncEngine` is built on it with its page preparation
(`sync.preparation`) and its cleanup policy (`sync.cleanup`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from tui_inventory.config import Config
from tui_inventory.errors import (
    StoreError,
)
from tui_inventory.store.lease import SyncLease
from tui_inventory.store.repo import Store, now_iso
from tui_inventory.sync import events as ev
from tui_inventory.sync.results import TypeResult
from tui_inventory.sync.store_process import available as store_process_available
from tui_inventory.sync.writer import PageSink, ThreadSink
from tui_inventory.tmf.client import RetryPolicy, TmfClient

log = logging.getLogger("tui_inventory.sync.engine")  # one logger for the engine's parts

PasswordSource = Callable[[str], "str | None"]
EventSink = Callable[[ev.EngineEvent], None]


class EngineBase:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        passwords: PasswordSource,
        on_event: EventSink | None = None,
        retry: RetryPolicy | None = None,
        lease_ttl: float = 60.0,
        max_pages: int = 100_000,
        client_factory: Callable[..., TmfClient] = TmfClient,
        store_process: bool = True,
    ) -> None:
        self.config = config
        self.store = store
        self.passwords = passwords
        self.on_event = on_event or (lambda e: None)
        self.retry = retry
        self.lease_ttl = lease_ttl
        self.max_pages = max_pages
        self.client_factory = client_factory
        # A buildup's pages are stored by a process of their own (see sync.writer).
        self.store_process = store_process and store_process_available()
        self._sink: PageSink = ThreadSink(store)
        self._lease_holder: str | None = None
        self._cancel = threading.Event()
        self._run_id = 0
        self._kind_of: dict[str, str] = {}  # api -> the inventory it is syncing now
        self._explained_passwords = False  # this run logged why no password could be had
        # A lease the process holds beyond its runs (event notifications listen under it, see
        # tui_inventory.events.runner): runs use it instead of taking and releasing their own.
        self.shared_lease: SyncLease | None = None

    # -- control ----------------------------------------------------------------------------

    def cancel(self) -> None:
        self._cancel.set()
        self._sink.cancel()  # the pages waiting to be stored are dropped

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def choose_mode(self) -> str:
        """`auto`: a buildup while none has completed (or one was interrupted), else an update."""
        return "update" if self.store.has_completed_buildup() else "buildup"

    # -- reporting ----------------------------------------------------------------------------

    def _emit(self, event: ev.EngineEvent) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken listener must never break the sync
            log.exception("event listener failed")

    def _log(self, level: str, kind: str | None, message: str, *, outcome: bool = False) -> None:
        getattr(log, level if level != "warning" else "warning")("%s", message)
        log_id: int | None = None
        try:
            log_id = self.store.log(self._run_id, level, kind, message)
        except Exception:
            log.exception("could not write the sync log")
        self._emit(ev.Logged(self._run_id, level, kind, message, log_id, outcome))

    # -- the end of a type ----------------------------------------------------------------------

    def _finish_type(self, result: TypeResult) -> None:
        try:
            self.store.update_type_run(
                self._run_id,
                result.kind,
                result.counters,
                state=result.state,
                reason=result.reason,
                pages=result.pages,
                gaps=result.gaps,
                finished_at=now_iso(),
            )
        except StoreError as exc:  # e.g. a full disk: the result is still reported
            log.error("could not record how %s ended: %s", result.kind, exc.message)
        level = "info" if result.state == "succeeded" else "warning"
        c = result.counters
        line = ev.result_line(result.kind, result.state, result.reason, c)
        self._log(level, result.kind, line, outcome=True)
        self._emit(
            ev.TypeFinished(self._run_id, result.kind, result.state, result.reason, c.frozen())
        )
