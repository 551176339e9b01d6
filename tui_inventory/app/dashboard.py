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
from datetime import UTC, datetime
from typing import assert_never

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import RichLog, Static
from textual.worker import Worker, WorkerState

from tui_inventory import KINDS
from tui_inventory.store.db import DatabaseError
from tui_inventory.store.events import EventStatus
from tui_inventory.store.snapshot import Snapshot as Snapshot  # importable from here
from tui_inventory.store.snapshot import read_snapshot as read_snapshot
from tui_inventory.sync import events as ev
from tui_inventory.text import plain
from tui_inventory.times import console_time

from .panel import InventoryPanel
from .reader import Reader, store_of

log = logging.getLogger(__name__)

LOG_LINES = 500
REPEAT_MIN = 60  # a reason this long is written out once a run; the lines after say AS_ABOVE
AS_ABOVE = "the same as above"
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
    last = f", last {console_time(status.last_at)}" if status.last_at else ""
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
        self.border_title = "Sync log (times in UTC)"
        # The lines, kept to be laid out again for the width they are shown at: one written
        # while another tab shows (the log has no width then) or before a resize is re-wrapped.
        self.lines_kept: deque[Text] = deque(maxlen=LOG_LINES)
        self._laid_out_at = 0  # the width the lines shown were wrapped at (0: not yet shown)
        # Long reasons (an inventory's failure) are written out once a run, then "as above".
        self._reasons: set[str] = set()
        self._written: set[str] = set()

    def note_reason(self, reason: str) -> None:
        """A reason the lines may repeat (each inventory that failed for it, the run's end)."""
        if len(reason) >= REPEAT_MIN and reason not in self._reasons:
            self._reasons.add(reason)
            if any(reason in line.plain for line in list(self.lines_kept)[-50:]):
                self._written.add(reason)

    def new_run(self) -> None:
        self._reasons.clear()
        self._written.clear()

    def _once(self, message: str) -> str:
        for reason in self._reasons:
            if reason not in message:
                continue
            keep = 0 if reason in self._written else message.index(reason) + len(reason)
            message = message[:keep] + message[keep:].replace(reason, AS_ABOVE)
            self._written.add(reason)
        return message

    def add(self, level: str, message: str, at: str | None = None) -> None:
        label, style = LEVELS.get(level, LEVELS["error"])
        stamp = console_time(at, label=False) if at else datetime.now(UTC).strftime("%H:%M:%S")
        line = Text.assemble((stamp, "dim"), " ", (label, style), " ")
        line.append(plain(self._once(message), limit=2000))
        self.lines_kept.append(line)
        width = self._width()
        if width and width == self._laid_out_at:
            self.write(line, width=width)
        elif width:
            self._lay_out()
        else:
            self._laid_out_at = 0  # hidden: all are laid out again when shown

    def _width(self) -> int:
        """The width the lines are shown at now; 0 while it is not known (hidden)."""
        width = self.scrollable_content_region.width
        return width if self._size_known and self.display and width > 1 else 0

    def _lay_out(self) -> None:
        """Wrap every kept line at the width shown now (later, while it is not known)."""
        width = self._width()
        if not width or width == self._laid_out_at:
            return
        self._laid_out_at = width
        self.clear()
        for line in self.lines_kept:
            self.write(line, width=width)

    @on(events.Resize)
    @on(events.Show)
    def _lay_out_later(self) -> None:
        self.call_after_refresh(self._lay_out)


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
            for tp in snapshot.progress.kinds.values():
                log.note_reason(tp.reason or "")
            for entry in snapshot.log:
                if self._first_showing(int(entry["id"])):  # not shown as an event already
                    log.add(entry["level"], entry["message"], entry["at"])
        for kind in KINDS:
            self.panel(kind).apply_snapshot(snapshot)

    # -- the engine's events ----------------------------------------------------------------

    def apply_event(self, event: ev.EngineEvent) -> None:
        match event:
            case ev.RunStarted():
                self.query_one(SyncLog).new_run()
                for kind in event.kinds:
                    self.panel(kind).run_started(event.mode)
            case ev.TypeStarted():
                self.panel(event.kind).type_started(event)
            case ev.GapRecorded():
                self.panel(event.kind).gap_recorded()
            case ev.Logged():
                if event.log_id is None or self._first_showing(event.log_id):  # (or read back)
                    self.query_one(SyncLog).add(event.level, event.message)
            case ev.TypeFinished():
                self.query_one(SyncLog).note_reason(event.reason)
                self.panel(event.kind).type_finished(event)
            case ev.RunFinished():
                for kind in KINDS:
                    self.panel(kind).type_finished()
            case ev.PageStored() | ev.CleanupHeld() | ev.CleanupDone():
                pass  # progress comes through apply_progress; cleanups by the store's next read
            case _:
                assert_never(event)

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
        elif self.snapshot is not None and self.snapshot.events and self.snapshot.events.live:
            # Not idle: this console holds the sync lease to listen (SPEC §10), and no other
            # process may sync meanwhile.
            state = "Listening for events (this console holds the sync lease)"
        else:
            state = "Idle"
        line = Text(state, style="bold")
        if next_at is not None:
            line.append(f" · next sync at {datetime.fromtimestamp(next_at, UTC):%H:%M:%S} UTC")
        if self.snapshot is not None:
            snap = self.snapshot
            line.append(f" · last sync {console_time(snap.last_synced)}")
            if snap.ended is not None:  # a newer run that did not sync: as such
                mode, how, when = snap.ended
                line.append(f" · {mode} {how} {console_time(when)}")
            line.append(events_text(self.snapshot.events))
        if problem:
            line.append(f"\n⚠ cannot read the database: {plain(problem)}", style="bold red")
        self.query_one("#status", Static).update(line)
        for kind in KINDS:
            self.panel(kind).set_writable(read_only is None)
