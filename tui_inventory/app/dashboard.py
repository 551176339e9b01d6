"""The dashboard: per inventory its sync state, progress, counts and last run; the sync log.

It reads the store in a thread worker (`reload`): counts, runs, held cleanups, new log lines and
what a sync — this console's or another process's — is doing now (`Store.live_progress`). The app
feeds it this console's own engine events as they arrive (`apply_event`, `apply_progress`) and
asks for a read every second or so while another process syncs (see `InventoryApp`). Every string
that came from an API — reasons, log messages — is shown through `plain()` as literal text.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import RichLog, Static
from textual.worker import Worker, WorkerState

from tui_inventory import KINDS
from tui_inventory.store.db import DatabaseError
from tui_inventory.store.events import EventStatus
from tui_inventory.store.snapshot import Snapshot, read_snapshot  # importable from here
from tui_inventory.sync import events as ev
from tui_inventory.text import plain

from .inventory_table import Reader, store_of
from .panel import InventoryPanel, local_time

log = logging.getLogger(__name__)

LOG_LINES = 500
SHOWN_IDS = 2000  # log ids remembered to show each line once (more than a read brings)
# The severity as a word (readable without colour) and an ANSI colour (fine in 16 colours).
LEVELS = {
    "info": ("INFO ", ""),
    "warning": ("WARN ", "bold yellow"),
    "error": ("ERROR", "bold red"),
}


def events_text(status: EventStatus | None) -> str:
    """· events live, 12 arrived, last 10:41:07" — or off."""
    if status is None or not status.live:
        return " · events off"
    last = f", last {local_time(status.last_at)}" if status.last_at else ""
    return f" · events live, {status.received} arrived{last}"


class SyncLog(RichLog):
    """The sync's log lines, oldest first, each with its severity as a word and a colour."""

    DEFAULT_CSS = """
    SyncLog {
        height: 1fr; min-height: 5; margin-top: 1; border-top: solid $primary;
        background: $surface;
    }
    """

    def __init__(self) -> None:
        super().__init__(max_lines=LOG_LINES, wrap=True, markup=False, min_width=20, id="sync-log")
        self.border_title = "Sync log"

    def add(self, level: str, message: str, at: str | None = None) -> None:
        label, style = LEVELS.get(level, LEVELS["error"])
        stamp = local_time(at) if at else datetime.now().strftime("%H:%M:%S")
        line = Text.assemble((stamp, "dim"), " ", (label, style), " ")
        line.append(plain(message, limit=2000))
        # Wrap at the pane's width (Rich would measure against the console's own width).
        width = self.scrollable_content_region.width
        self.write(line, width=width if self._size_known and width > self.min_width else None)


class Dashboard(VerticalScroll):
    """Status line, one panel per inventory, and the sync log."""

    DEFAULT_CSS = """
    Dashboard { height: 1fr; }
    Dashboard #status { height: auto; padding: 0 1; background: $boost; }
    """

    class Loaded(Message):
        """A snapshot of the store was read; the app uses the first to decide what to start."""

        def __init__(self, snapshot: Snapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    class LoadFailed(Message):
        """The store could not be read (the database is unreachable, for one): `error` says why."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__(id="dashboard-view")
        self.snapshot: Snapshot | None = None
        self._log_cursor = 0
        # The ids of the latest lines shown, as the engine's events or read back from the store
        # (for a sync another console or process runs): each is shown once, whichever comes first.
        self._shown_ids: set[int] = set()
        self._shown_order: deque[int] = deque()
        self._reader: Reader | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        for kind in KINDS:
            yield InventoryPanel(kind)
        yield SyncLog()

    def panel(self, kind: str) -> InventoryPanel:
        return self.query_one(f"#panel-{kind}", InventoryPanel)

    # -- the store --------------------------------------------------------------------------

    @property
    def reader(self) -> Reader:
        """One thread, so one database connection, for every read: polled every second or so,
        it must not open a connection (on PostgreSQL, a login) each time."""
        if self._reader is None:
            self._reader = Reader(store_of(self.app))
        return self._reader

    def on_unmount(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def reload(self, *, sync_running: bool = False) -> None:
        """Re-read the store off the UI thread; the result arrives as `Dashboard.Loaded`.

        A newer read replaces one not started yet; reads never run at the same time."""
        self._load(self._log_cursor, time.monotonic(), sync_running)

    @work(exclusive=True, exit_on_error=False, group="dashboard")
    async def _load(self, log_after: int, requested: float, sync_running: bool) -> None:
        store = store_of(self.app)
        args = (store, log_after, requested, sync_running, self.snapshot)
        snapshot = await self.reader.run(read_snapshot, *args)
        self.post_message(self.Loaded(snapshot))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "dashboard" or event.state != WorkerState.ERROR:
            return
        event.stop()
        error = event.worker.error
        if isinstance(error, DatabaseError):
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            self.post_message(self.LoadFailed(plain(first, limit=300)))
        else:  # a bug: the details to the log file, one sentence on the screen
            log.error("reading the dashboard failed", exc_info=error)
            name = type(error).__name__ if error is not None else "error"
            self.post_message(self.LoadFailed(f"an unexpected {name}; details are in the log file"))

    def on_dashboard_loaded(self, message: Dashboard.Loaded) -> None:
        snapshot = message.snapshot
        if self.snapshot is not None and snapshot.requested < self.snapshot.requested:
            message.stop()  # an older read that finished late: nobody needs it
            return
        self.snapshot = snapshot
        if snapshot.log:
            self._log_cursor = max(self._log_cursor, max(int(e["id"]) for e in snapshot.log))
            log = self.query_one(SyncLog)
            for entry in snapshot.log:
                if self._first_showing(int(entry["id"])):  # not shown as an event already
                    log.add(entry["level"], entry["message"], entry["at"])
        for kind in KINDS:
            self.panel(kind).apply_snapshot(snapshot)

    # -- the engine's events ----------------------------------------------------------------

    def apply_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            for kind in event.kinds:
                self.panel(kind).run_started()
        elif isinstance(event, ev.TypeStarted):
            self.panel(event.kind).type_started(event)
        elif isinstance(event, ev.GapRecorded):
            self.panel(event.kind).gap_recorded()
        elif isinstance(event, ev.Logged):
            if event.log_id is None or self._first_showing(event.log_id):  # (or read back)
                self.query_one(SyncLog).add(event.level, event.message)
        elif isinstance(event, ev.TypeFinished):
            self.panel(event.kind).type_finished(event)
        elif isinstance(event, ev.RunFinished):
            for kind in KINDS:
                self.panel(kind).type_finished()

    def _first_showing(self, log_id: int) -> bool:
        """Whether the log line `log_id` is not shown yet; from now on it is."""
        if log_id in self._shown_ids:
            return False
        self._shown_ids.add(log_id)
        self._shown_order.append(log_id)
        if len(self._shown_order) > SHOWN_IDS:
            self._shown_ids.discard(self._shown_order.popleft())
        return True

    def apply_progress(self, event: ev.PageStored) -> None:
        self.panel(event.kind).page_stored(event)

    def log_line(self, level: str, message: str) -> None:
        """A line from the console itself (a refused run, a cleanup decision)."""
        self.query_one(SyncLog).add(level, message)

    def show_status(
        self,
        *,
        mode: str | None,
        cancelling: bool,
        read_only: str | None,
        next_at: float | None,
        problem: str | None = None,
    ) -> None:
        """The line above the panels: what the sync does now, the next and the last sync.

        `read_only` says why this console may not sync now (None when it may); `problem`, why
        the store cannot be read."""
        if mode:
            word = {"buildup": "Buildup", "update": "Update"}.get(mode, "Sync")
            state = f"{word} cancelling…" if cancelling else f"{word} running — c cancels"
        elif read_only:
            state = read_only[:1].upper() + read_only[1:]
        else:
            state = "Idle"
        line = Text(state, style="bold")
        if next_at is not None:
            line.append(f" · next sync at {datetime.fromtimestamp(next_at):%H:%M:%S}")
        if self.snapshot is not None:
            line.append(f" · last sync {local_time(self.snapshot.last_sync)}")
            line.append(events_text(self.snapshot.events))
        if problem:
            line.append(f"\n⚠ cannot read the database: {plain(problem)}", style="bold red")
        self.query_one("#status", Static).update(line)
        for kind in KINDS:
            self.panel(kind).set_writable(read_only is None)
