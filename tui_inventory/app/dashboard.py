"""The dashboard: per inventory its sync state, progress, counts and last run; the sync log.

It reads the store in a thread worker (`reload`), and the app feeds it the engine's events as
they arrive (`apply_event`, `apply_progress`). Every string that came from an API — reasons, log
messages — is shown through `plain()` as literal text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, ProgressBar, RichLog, Static

from tui_inventory import KINDS
from tui_inventory.store.lease import current_lease, lease_is_live
from tui_inventory.store.repo import BuildupRecord, HeldRecord, Store
from tui_inventory.sync import events as ev
from tui_inventory.text import plain
from tui_inventory.tmf.definitions import DEFINITIONS

LOG_LINES = 500
# The severity as a word (readable without colour) and an ANSI colour (fine in 16 colours).
LEVELS = {
    "info": ("INFO ", ""),
    "warning": ("WARN ", "bold yellow"),
    "error": ("ERROR", "bold red"),
}
STATE_CLASSES = ("state-idle", "state-running", "state-waiting", "state-warning", "state-failed")
COUNTERS = ("received", "created", "updated", "unchanged", "skipped", "removed", "failed")


@dataclass(frozen=True)
class Snapshot:
    """What the dashboard shows from the store, read in one go off the UI thread."""

    counts: dict[str, int]
    last_runs: dict[str, dict[str, Any]]
    buildups: dict[str, BuildupRecord]
    held: dict[str, HeldRecord]
    log: list[dict[str, Any]]
    show_log: bool
    completed_buildup: bool
    last_sync: str | None  # when the last buildup or update finished (ISO, UTC)
    lease: str | None  # a live sync lease, described (whoever holds it)
    requested: float = 0.0  # time.monotonic() when the read was asked for
    sync_running: bool = False  # our own sync was running when the read was asked for


def read_snapshot(
    store: Store, log_after: int, show_log: bool, requested: float = 0.0, sync_running: bool = False
) -> Snapshot:
    lease = current_lease(store)
    last_sync = next(
        (
            r["finished_at"]
            for r in store.runs(20)
            if r["mode"] in ("buildup", "update") and r["finished_at"]
        ),
        None,
    )
    return Snapshot(
        counts=store.counts(),
        last_runs=store.last_type_runs(),
        buildups=store.buildups(),
        held=store.held_cleanups(),
        log=store.log_entries(limit=200, after_id=log_after),
        show_log=show_log,
        completed_buildup=store.has_completed_buildup(),
        last_sync=last_sync,
        lease=lease.describe() if lease is not None and lease_is_live(lease) else None,
        requested=requested,
        sync_running=sync_running,
    )


def local_time(iso: str | None) -> str:
    """A stored UTC timestamp as local wall-clock time (with the date when not today)."""
    if not iso:
        return "never"
    try:
        when = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).astimezone()
    except ValueError:
        return plain(iso, limit=32)
    if when.date() == datetime.now().astimezone().date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%Y-%m-%d %H:%M")


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def counters_text(values: dict[str, Any]) -> str:
    """The run's counters; the four that always matter, the others only when not zero."""
    always = ("received", "created", "updated", "removed")
    shown = [n for n in COUNTERS if n in always or int(values.get(n) or 0)]
    return ", ".join(f"{name} {int(values.get(name) or 0)}" for name in shown)


class InventoryPanel(Widget):
    """One inventory: state, progress bar while it syncs, stored count, last run, held cleanup."""

    DEFAULT_CSS = """
    InventoryPanel { height: auto; padding: 0 1; margin-top: 1; }
    InventoryPanel .headline { height: auto; }
    InventoryPanel .title { width: 11; text-style: bold; }
    InventoryPanel .state { width: auto; margin-right: 1; }
    InventoryPanel .detail { width: 1fr; height: auto; }
    InventoryPanel ProgressBar { height: 1; display: none; }
    InventoryPanel.-running ProgressBar { display: block; }
    InventoryPanel ProgressBar Bar { width: 1fr; }
    InventoryPanel .details { height: auto; color: $text-muted; }
    InventoryPanel .held { height: auto; display: none; }
    InventoryPanel.-held .held { display: block; }
    InventoryPanel .held Static { width: 1fr; height: auto; color: $warning; }
    InventoryPanel .held Button { margin-left: 1; }
    """

    def __init__(self, kind: str) -> None:
        super().__init__(id=f"panel-{kind}")
        self.kind = kind
        self.title = DEFINITIONS[kind].title
        self.live: str | None = None  # building | updating | queued while a run of ours is on it
        self.progress = ""
        self.gaps = 0
        self.run_counters: dict[str, int] | None = None
        self.snapshot: Snapshot | None = None
        self.held: HeldRecord | None = None
        # How this type ended in our run, until a store read taken after it shows the same.
        self.result: ev.TypeFinished | None = None
        self.result_at = 0.0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="headline"):
            yield Static(self.title, classes="title")
            yield Static(classes="state")
            yield Static(classes="detail")
        yield ProgressBar(show_eta=False, show_percentage=False)
        yield Static(classes="details")
        with Horizontal(classes="held"):
            yield Static(id=f"held-{self.kind}")
            yield Button("Review", id=f"review-{self.kind}", compact=True, variant="warning")

    def on_mount(self) -> None:
        self.render_panel()

    # -- inputs -----------------------------------------------------------------------------

    def run_started(self) -> None:
        self.live, self.progress, self.gaps, self.run_counters = "queued", "", 0, None
        self.result = None
        self.render_panel()

    def type_started(self, event: ev.TypeStarted) -> None:
        self.live = "building" if event.mode == "buildup" else "updating"
        self.progress = f"resumed at page {event.first_page}" if event.first_page > 1 else ""
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.render_panel()

    def page_stored(self, event: ev.PageStored) -> None:
        c = event.counters
        rate = c.received / event.elapsed if event.elapsed > 0 else 0.0
        parts = [f"page {event.page}", f"{c.received} items", f"{rate:.0f}/s"]
        bar = self.query_one(ProgressBar)
        if event.total:
            share = min(1.0, c.received / event.total)
            parts.append(f"{share:.0%} of {event.total}")
            if rate > 0 and share < 1:
                parts.append(f"ETA {duration((event.total - c.received) / rate)}")
            bar.update(total=event.total, progress=min(c.received, event.total))
        if self.gaps:
            parts.append(f"{self.gaps} gap{'s' if self.gaps > 1 else ''}")
        self.progress = " · ".join(parts)
        self.run_counters = c.as_dict()
        self.render_panel()

    def gap_recorded(self) -> None:
        self.gaps += 1

    def type_finished(self, event: ev.TypeFinished | None = None) -> None:
        if event is not None:
            self.result, self.result_at = event, time.monotonic()
        self.live = None
        self.render_panel()

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self.result is not None and snapshot.requested > self.result_at:
            self.result = None
        self.held = snapshot.held.get(self.kind)
        self.render_panel()

    # -- output -----------------------------------------------------------------------------

    def _state(self) -> tuple[str, str, str]:
        """The state word, its style class and the reason (plain text)."""
        if self.live == "queued":
            return "waiting", "state-waiting", "its turn comes in this run"
        if self.live:
            return self.live, "state-running", ""
        snap = self.snapshot
        last = snap.last_runs.get(self.kind) if snap else None
        if self.result is not None:  # fresher than the store read we have
            last = {"state": self.result.state, "reason": self.result.reason}
        buildup = snap.buildups.get(self.kind) if snap else None
        reason = plain(last.get("reason") if last else "", limit=300)
        state = last["state"] if last else ""
        if state == "running":
            if snap is not None and snap.sync_running:
                return "waiting", "state-waiting", ""
            if snap is not None and snap.lease:
                return "syncing elsewhere", "state-running", snap.lease
            return "interrupted", "state-warning", "the last run stopped before it finished"
        if state == "failed":
            return "failed", "state-failed", reason
        if state == "held" and self.held is not None:
            return "idle", "state-warning", "a cleanup waits for your decision"
        if buildup is not None and self.result is None:
            return "idle", "state-warning", f"buildup paused at page {buildup.next_page}; b resumes"
        if state == "cancelled":
            return "idle", "state-warning", "last run cancelled"
        if state == "partial":
            return "idle", "state-warning", reason or "last run had gaps"
        if not last:
            return "idle", "state-idle", "never synced"
        return "idle", "state-idle", ""

    def render_panel(self) -> None:
        if not self.is_mounted:
            return
        word, style, reason = self._state()
        self.set_class(self.live in ("building", "updating"), "-running")
        state = self.query_one(".state", Static)
        for name in STATE_CLASSES:
            state.set_class(name == style, name)
        state.update(Text(f"● {word}"))
        detail = self.progress if self.live in ("building", "updating") else reason
        self.query_one(".detail", Static).update(Text(f"— {detail}" if detail else ""))
        self.query_one(".details", Static).update(Text(self._details()))
        self.set_class(self.held is not None, "-held")
        if self.held is not None:
            h = self.held
            self.query_one(f"#held-{self.kind}", Static).update(
                Text(f"⚠ cleanup held back: it would remove {h.would_remove} of {h.total} (x)")
            )

    def _details(self) -> str:
        snap = self.snapshot
        stored = f"{snap.counts.get(self.kind, 0)} stored" if snap else "…"
        if self.live in ("building", "updating") and self.run_counters is not None:
            return f"{stored} · this run so far:\n{counters_text(self.run_counters)}"
        if self.result is not None:
            return (
                f"{stored} · {self.result.state} in this run\n"
                f"{counters_text(self.result.counters.as_dict())}"
            )
        last = snap.last_runs.get(self.kind) if snap else None
        if not last:
            return f"{stored} · no sync yet"
        when = local_time(last.get("finished_at") or last.get("started_at"))
        return f"{stored} · last sync {when}, {last['mode']} {last['state']}\n{counters_text(last)}"


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

    def __init__(self) -> None:
        super().__init__(id="dashboard-view")
        self.snapshot: Snapshot | None = None
        self._log_cursor = 0
        self._own_lines = False  # our run's lines came as events: skip them when read back

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        for kind in KINDS:
            yield InventoryPanel(kind)
        yield SyncLog()

    def panel(self, kind: str) -> InventoryPanel:
        return self.query_one(f"#panel-{kind}", InventoryPanel)

    # -- the store --------------------------------------------------------------------------

    def reload(self, *, sync_running: bool = False) -> None:
        """Re-read the store in a thread worker; the result arrives as `Dashboard.Loaded`."""
        show_log = not self._own_lines
        if not sync_running:
            self._own_lines = False
        store: Store = self.app.store  # type: ignore[attr-defined]
        self._load(store, self._log_cursor, show_log, time.monotonic(), sync_running)

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def _load(
        self, store: Store, log_after: int, show_log: bool, requested: float, sync_running: bool
    ) -> None:
        try:
            snapshot = read_snapshot(store, log_after, show_log, requested, sync_running)
        finally:
            store.close()  # this thread's connection
        self.post_message(self.Loaded(snapshot))

    def on_dashboard_loaded(self, message: Dashboard.Loaded) -> None:
        snapshot = message.snapshot
        if self.snapshot is not None and snapshot.requested < self.snapshot.requested:
            message.stop()  # an older read that finished late: nobody needs it
            return
        self.snapshot = snapshot
        if snapshot.log:
            self._log_cursor = max(self._log_cursor, max(int(e["id"]) for e in snapshot.log))
            if snapshot.show_log:
                log = self.query_one(SyncLog)
                for entry in snapshot.log:
                    log.add(entry["level"], entry["message"], entry["at"])
        for kind in KINDS:
            self.panel(kind).apply_snapshot(snapshot)

    # -- the engine's events ----------------------------------------------------------------

    def apply_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self._own_lines = True
            for kind in event.kinds:
                self.panel(kind).run_started()
        elif isinstance(event, ev.TypeStarted):
            self.panel(event.kind).type_started(event)
        elif isinstance(event, ev.GapRecorded):
            self.panel(event.kind).gap_recorded()
        elif isinstance(event, ev.Logged):
            self._own_lines = True
            self.query_one(SyncLog).add(event.level, event.message)
        elif isinstance(event, ev.TypeFinished):
            self.panel(event.kind).type_finished(event)
        elif isinstance(event, ev.RunFinished):
            for kind in KINDS:
                self.panel(kind).type_finished()

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
        watching: str | None,
        readonly: bool,
        next_at: float | None,
    ) -> None:
        """The line above the panels: what the sync does now, the next and the last sync."""
        if mode:
            word = {"buildup": "Buildup", "update": "Update"}.get(mode, "Sync")
            state = f"{word} cancelling…" if cancelling else f"{word} running — c cancels"
        elif watching:
            text = plain(watching)
            state = f"{text[:1].upper()}{text[1:]}: this console watches it"
        elif readonly:
            state = "Read-only console: shows the store, never syncs"
        else:
            state = "Idle"
        line = Text(state, style="bold")
        if next_at is not None:
            line.append(f" · next sync at {datetime.fromtimestamp(next_at):%H:%M:%S}")
        if self.snapshot is not None:
            line.append(f" · last sync {local_time(self.snapshot.last_sync)}")
        self.query_one("#status", Static).update(line)
