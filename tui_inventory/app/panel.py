"""One inventory's panel on the dashboard: its sync state, progress bar, stored count, last run and
held-back cleanup.

The progress comes from one of two places: this console's own run (the engine's `PageStored`
events, as they happen) or a sync another process runs (the database's `TypeProgress`, read every
second or so). Both become `Figures`, shown the same way. Every string that came from an API or
from the database is shown through `plain()` as literal text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, ProgressBar, Static

from tui_inventory.domain import FrozenCounters
from tui_inventory.store.progress import TypeProgress
from tui_inventory.store.snapshot import SYNCED, Snapshot
from tui_inventory.sync import events as ev
from tui_inventory.text import plain
from tui_inventory.times import console_time
from tui_inventory.tmf.client import API_TITLES
from tui_inventory.tmf.definitions import DEFINITIONS

from .trends import Trends

if TYPE_CHECKING:
    from tui_inventory.store.lease import LeaseInfo
    from tui_inventory.store.repo import HeldRecord


# A sync elsewhere is read about once a second: a point of its rate line per read.
ELSEWHERE_WINDOW = 0.5

STATE_CLASSES = ("state-idle", "state-running", "state-waiting", "state-warning", "state-failed")
AWAITED_SHOWN = 10.0  # seconds without a page after which the card says what it waits for
FLOOR_KEPT = 5.0  # seconds a run's own count of what it stored outlasts its end, at most
COUNTERS = ("received", "created", "updated", "unchanged", "skipped", "removed", "failed")


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


@dataclass(frozen=True)
class Figures:
    """How far one inventory's running sync has come: page, items, rate, share of the total."""

    page: int
    received: int
    elapsed: float  # seconds since the type started
    total: int | None  # upstream total when the API tells it
    gaps: int

    @classmethod
    def of_page(cls, event: ev.PageStored, gaps: int) -> Figures:
        return cls(event.page, event.counters.received, event.elapsed, event.total, gaps)

    @classmethod
    def of_type_run(cls, tp: TypeProgress) -> Figures:
        # A buildup's page is where it stands (it may have resumed); an update's, how many.
        page = tp.buildup.next_page - 1 if tp.buildup is not None else tp.pages
        return cls(page, tp.counters.received, tp.elapsed, tp.total, tp.gaps)

    @property
    def rate(self) -> float:
        return self.received / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def share(self) -> float | None:
        return min(1.0, self.received / self.total) if self.total else None

    def text(self) -> str:
        parts = [f"page {self.page}", f"{self.received} items", f"{self.rate:.0f}/s"]
        share = self.share
        if share is not None and self.total:
            parts.append(f"{share:.0%} of {self.total}")
            if self.rate > 0 and share < 1:
                parts.append(f"ETA {duration((self.total - self.received) / self.rate)}")
        if self.gaps:
            parts.append(f"{self.gaps} gap{'s' if self.gaps > 1 else ''}")
        return " · ".join(parts)


class InventoryPanel(Widget):
    """One inventory: state, progress bar while it syncs, stored count, last run, held cleanup."""

    DEFAULT_CSS = """
    InventoryPanel { height: auto; padding: 0 1; margin-top: 1; }
    InventoryPanel .headline { height: auto; }
    InventoryPanel .title { width: 11; text-style: bold; }
    InventoryPanel .state { width: auto; margin-right: 1; }
    InventoryPanel .detail { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    InventoryPanel ProgressBar { height: 1; display: none; }
    InventoryPanel.-running ProgressBar { display: block; }
    InventoryPanel ProgressBar Bar { width: 1fr; }
    InventoryPanel .body { height: auto; }
    InventoryPanel .details { width: 1fr; height: auto; color: $text-muted; }
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
        self.note = ""  # before the first page of our run: "resumed at page N"
        self.gaps = 0
        self.figures: Figures | None = None  # our run's, or the one running elsewhere
        self.run_counters: dict[str, int] | None = None
        self.snapshot: Snapshot | None = None
        self.held: HeldRecord | None = None
        self.writable = True  # False while this console may not decide cleanups
        # How this type ended in our run, until a store read taken after it shows the same.
        self.result: ev.TypeFinished | None = None
        self.result_when = ""  # when it came (ISO, UTC)
        self.mode = "sync"  # of our own run
        self.result_at = 0.0
        self.base: int | None = None  # stored when our run reached this type
        # What is stored at least: `base` and what our run created since (less removed). The
        # store is read at most twice a second and its count may lag what a page stored; this
        # keeps "stored" from trailing "created" (or going back) until a read catches up.
        self.floor: int | None = None
        self.floor_at = 0.0
        self.awaited_since = 0.0  # when our run last got a page of this type (or started it)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="headline"):
            yield Static(self.title, classes="title")
            yield Static(classes="state")
            yield Static(classes="detail")
        yield ProgressBar(show_eta=False, show_percentage=False)
        with Horizontal(classes="body"):
            yield Static(classes="details")
            yield Trends(self.kind)
        with Horizontal(classes="held"):
            yield Static(id=f"held-{self.kind}")
            yield Button("Review", id=f"review-{self.kind}", compact=True, variant="warning")

    def on_mount(self) -> None:
        self.render_panel()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        """While a page is awaited long, the card counts the seconds (a silent upstream)."""
        if self.live in ("building", "updating") and self._awaited() >= AWAITED_SHOWN:
            self.render_panel()

    def _awaited(self) -> float:
        return time.monotonic() - self.awaited_since if self.awaited_since else 0.0

    @property
    def trends(self) -> Trends:
        return self.query_one(Trends)

    @property
    def progress(self) -> str:
        """The progress line while this inventory syncs, here or elsewhere; "" otherwise."""
        return self.figures.text() if self.figures is not None else ""

    # -- our own run (the engine's events) --------------------------------------------------

    def run_started(self, mode: str = "sync") -> None:
        self.mode = mode
        self.base, self.floor = None, None
        self.live, self.note, self.gaps = "queued", "", 0
        self.figures, self.run_counters, self.result = None, None, None
        self.render_panel()

    def type_started(self, event: ev.TypeStarted) -> None:
        snap = self.snapshot
        self.base = snap.counts.get(self.kind, 0) if snap is not None else None
        self.live = "building" if event.mode == "buildup" else "updating"
        self.note = f"resumed at page {event.first_page}" if event.first_page > 1 else ""
        self.figures = None
        self.awaited_since = time.monotonic()
        self.trends.rate.reset()
        self.trends.show_rate()
        self.render_panel()

    def page_stored(self, event: ev.PageStored) -> None:
        self.figures = Figures.of_page(event, self.gaps)
        self.awaited_since = time.monotonic()
        self.run_counters = event.counters.as_dict()
        self._raise_floor(event.counters)
        if self.trends.rate.add(event.elapsed, event.counters.received):
            self.trends.show_rate()
        self.render_panel()

    def gap_recorded(self) -> None:
        self.gaps += 1

    def type_finished(self, event: ev.TypeFinished | None = None) -> None:
        if event is not None:
            self.result, self.result_at = event, time.monotonic()
            self.result_when = datetime.now(UTC).isoformat(timespec="seconds")
            self._raise_floor(event.counters)
        figures = self.figures
        if figures is not None and self.trends.rate.flush(figures.elapsed, figures.received):
            self.trends.show_rate()  # the type's last seconds: a short run still has its point
        self.live = None
        self.figures = None
        self.render_panel()

    # -- the store (and a sync running elsewhere) -------------------------------------------

    def _raise_floor(self, counters: FrozenCounters) -> None:
        if self.base is not None:
            self.floor = self.base + counters.created - counters.removed
            self.floor_at = time.monotonic()

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self.floor is not None and (
            snapshot.counts.get(self.kind, 0) >= self.floor
            or (self.live is None and snapshot.requested > self.floor_at + FLOOR_KEPT)
        ):
            self.floor = None  # the store's count has caught up (or a cleanup removed some)
        if self.result is not None and snapshot.requested > self.result_at:
            self.result = None
        self.held = snapshot.held.get(self.kind)
        if self.live is None:
            elsewhere = self._running_elsewhere()
            self.figures = Figures.of_type_run(elsewhere) if elsewhere is not None else None
            self.run_counters = elsewhere.counters.as_dict() if elsewhere is not None else None
            f = self.figures
            if f is not None and self.trends.rate.add(f.elapsed, f.received, ELSEWHERE_WINDOW):
                self.trends.show_rate()
        if self.kind in snapshot.sizes:
            self.trends.show_sizes(snapshot.sizes[self.kind])
        self.render_panel()

    def set_writable(self, writable: bool) -> None:
        if writable != self.writable:
            self.writable = writable
            self.render_panel()

    def _type_run(self) -> TypeProgress | None:
        snap = self.snapshot
        return snap.progress.kinds.get(self.kind) if snap is not None else None

    def _elsewhere(self) -> LeaseInfo | None:
        """The lease of a sync another process runs now (not this console's own run)."""
        snap = self.snapshot
        if snap is None or snap.sync_running or self.live is not None:
            return None
        return snap.progress.lease

    def _running_elsewhere(self) -> TypeProgress | None:
        """This inventory's type run, when a sync elsewhere is on it now."""
        tp = self._type_run()
        snap = self.snapshot
        run = snap.progress.run if snap is not None else None
        if self._elsewhere() is None or tp is None or run is None:
            return None
        return tp if tp.run == run.id and tp.state == "running" else None

    # -- output -----------------------------------------------------------------------------

    def _state(self) -> tuple[str, str, str]:
        """The state word, its style class and the detail (plain text)."""
        if self.live == "queued":
            return "waiting", "state-waiting", "its turn comes in this run"
        if self.live:
            awaited = self._awaited()
            if awaited >= AWAITED_SHOWN:
                api = API_TITLES.get(DEFINITIONS[self.kind].api, DEFINITIONS[self.kind].api)
                return self.live, "state-running", f"waiting for {api} for {awaited:.0f} s"
            return self.live, "state-running", self.figures.text() if self.figures else self.note
        snap = self.snapshot
        tp = self._type_run()
        lease = self._elsewhere()
        if lease is not None and snap is not None:
            running = self._running_elsewhere()
            if running is not None:  # (the status line says where it runs)
                word = "building" if running.mode == "buildup" else "updating"
                return word, "state-running", self.figures.text() if self.figures else ""
            run = snap.progress.run
            if run is not None and run.state == "running" and (tp is None or tp.run < run.id):
                return "waiting", "state-waiting", "its turn comes in this run"
        state, reason = (tp.state, plain(tp.reason, limit=300)) if tp else ("", "")
        if self.result is not None:  # fresher than the store read we have
            state, reason = self.result.state, plain(self.result.reason, limit=300)
        buildup = tp.buildup if tp is not None else None
        if state == "running":  # our own run, on a type it has not reached yet
            return "waiting", "state-waiting", ""
        if state == "interrupted":
            return "interrupted", "state-warning", "the last run stopped before it finished"
        if state == "failed":
            return "failed", "state-failed", reason
        if state == "held" and self.held is not None:
            return "idle", "state-warning", "a cleanup waits for a decision"
        if buildup is not None and self.result is None:
            resume = "; b resumes" if self.writable else ""
            return "idle", "state-warning", f"buildup paused at page {buildup.next_page}{resume}"
        if state == "cancelled":
            return "idle", "state-warning", "last run cancelled"
        if state == "partial":
            return "idle", "state-warning", reason or "last run had gaps"
        if not state:
            return "idle", "state-idle", "never synced"
        return "idle", "state-idle", ""

    def render_panel(self) -> None:
        if not self.is_mounted:
            return
        word, style, detail = self._state()
        running = style == "state-running"
        self.set_class(running, "-running")
        if running:
            bar = self.query_one(ProgressBar)
            figures = self.figures
            if figures is not None and figures.total:
                bar.update(total=figures.total, progress=min(figures.received, figures.total))
            else:
                bar.update(total=None, progress=0)  # the total is unknown: it pulses
        state = self.query_one(".state", Static)
        for name in STATE_CLASSES:
            state.set_class(name == style, name)
        state.update(Text(f"● {word}"))
        self.query_one(".detail", Static).update(Text(f"— {detail}" if detail else ""))
        self.query_one(".details", Static).update(Text(self._details(running)))
        self.set_class(self.held is not None, "-held")
        self.query_one(f"#review-{self.kind}", Button).disabled = not self.writable
        if self.held is not None:
            h = self.held
            how = "(x)" if self.writable else "(decided where the sync runs)"
            self.query_one(f"#held-{self.kind}", Static).update(
                Text(f"⚠ cleanup held back: it would remove {h.would_remove} of {h.total} {how}")
            )

    def _details(self, running: bool) -> str:
        snap = self.snapshot
        count = snap.counts.get(self.kind, 0) if snap else None
        if self.floor is not None:
            count = max(count or 0, self.floor)
        stored = f"{count} stored" if count is not None else "…"
        if running and self.run_counters is not None:
            return f"{stored} · this run so far:\n{counters_text(self.run_counters)}"
        if self.result is not None:  # (the same words as once the store is read again)
            r = self.result
            return self._finished(stored, self.mode, r.state, self.result_when, r.counters)
        tp = self._type_run()
        if tp is None:
            return f"{stored} · no sync yet"
        return self._finished(
            stored, tp.mode, tp.state, tp.finished_at or tp.started_at, tp.counters
        )

    def _finished(
        self, stored: str, mode: str, state: str, when: str, counters: FrozenCounters
    ) -> str:
        """A finished run: a sync (it did its work) gives the last sync; one cancelled, failed
        or interrupted is said as such, after the last sync that did, which stays in sight."""
        figures = counters_text(counters.as_dict())
        if state in SYNCED or self.snapshot is None:
            return f"{stored} · last sync {console_time(when)}, {mode} {state}\n{figures}"
        synced = self.snapshot.synced.get(self.kind)
        return (
            f"{stored} · last sync {console_time(synced)} · {mode} {state} {console_time(when)}"
            f"\n{figures}"
        )
