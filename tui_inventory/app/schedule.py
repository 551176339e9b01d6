"""When the console reads the store and when it syncs: the polls, another process's sync, the
schedule of its own runs.

Whatever this console does, it reads the store again and again (poll, then schedule the next
poll, so reads never overlap): every second while another process syncs — the dashboard shows
that sync's progress, counts and log live and the tables re-read when a revision was written —
and every few seconds otherwise, to notice one starting. While another process syncs, the keys
and screens that would write (b, u, c, cleanup decisions, settings) are disabled and say why.
When its lease is free again, a console not started with `--readonly` takes its normal role
back: its next run is due `sync.update_frequency` after the last sync anyone finished, plus
`TAKEOVER_GRACE`, so a daemon on the same schedule, being restarted or standing by, gets the lease
first (and the console, seeing it, holds back again).

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.timer import Timer

from tui_inventory.config import Config
from tui_inventory.store.lease import DEFAULT_TTL, LeaseInfo
from tui_inventory.store.repo import HeldRecord
from tui_inventory.text import plain
from tui_inventory.times import parse_iso

from .dashboard import Dashboard, Snapshot
from .main_screen import MainScreen
from .mend import mend_first
from .settings import SettingsScreen
from .textkeys import TextSafeApp
from .worker import SyncWorker

FOLLOW_POLL = 1.0  # seconds between reads of the store while another process syncs it
IDLE_POLL = 3.0  # and otherwise (to notice one starting); none while this console syncs
POLL_RETRY_CAP = 30.0  # the longest wait between reads while the database cannot be read
TAKEOVER_GRACE = DEFAULT_TTL  # a console's own run waits this long after another's lease ended

READONLY_NOTICE = "This console is read-only (--readonly): it never syncs or changes settings."


class SyncSchedule(TextSafeApp):
    """The console's reads of the store and its runs' schedule (`InventoryApp` is one)."""

    # The console's state this part reads and writes (`InventoryApp.__init__` sets it).
    config: Config
    readonly: bool
    autostart: bool
    sync: SyncWorker
    main_screen: MainScreen
    watching: LeaseInfo | None
    problem: str | None
    held: dict[str, HeldRecord]
    _poll_timer: Timer | None
    _poll_failures: int
    _revision: int | None
    _own_runs: set[int]
    _followed_run: int | None
    _started: bool

    if TYPE_CHECKING:  # InventoryApp's

        @property
        def dashboard(self) -> Dashboard: ...

        def start_sync(self, mode: str) -> None: ...

        def _show_status(self) -> None: ...

        def _broadcast(self) -> None: ...

    # -- whether it may sync ------------------------------------------------------------------

    @property
    def read_only(self) -> str | None:
        """Why this console may not sync, decide cleanups or save settings now; None if it may."""
        if self.watching is not None:
            flag = " (--readonly)" if self.readonly else ""
            return f"read-only{flag}: the sync runs on {where(self.watching)}"
        if self.readonly:
            return "read-only console (--readonly): shows the store, never syncs"
        return None

    @property
    def settings_lock(self) -> str | None:
        """Why settings cannot be saved now, completing "This console is …"; None if they can."""
        if self.watching is not None:
            return f"read-only while the sync runs on {where(self.watching)}"
        return "read-only (--readonly)" if self.readonly else None

    def refusal(self) -> str:
        """The answer to a key that would write while read-only."""
        if self.watching is None:
            return READONLY_NOTICE
        return (
            f"{self.read_only}. Buildups, updates, cancelling and cleanup decisions are its to "
            "make; this console shows its progress live."
        )

    # -- its reads of the store ---------------------------------------------------------------

    def on_dashboard_loaded(self, message: Dashboard.Loaded) -> None:
        if not self.screen_stack:  # a read that finished while the console was closing
            return
        snapshot = message.snapshot
        self.held = dict(snapshot.held)
        if self.problem is not None:
            self.problem, self._poll_failures = None, 0
            self.dashboard.log_line("info", "the database can be read again")
        takeover = False
        if not self.sync.running and not snapshot.sync_running:
            takeover = self._set_watching(self._foreign(snapshot.lease))
        if snapshot.revision != self._revision:
            self._revision = snapshot.revision
            if not self.sync.running:
                self._broadcast()  # another process wrote: the views re-read
        if not self._started:
            self._started = True
            run = snapshot.progress.run
            self._followed_run = run.id if run is not None else None
            self._first_run(snapshot)
        else:
            ended = self._foreign_run_ended(snapshot)  # (noted even when nothing follows)
            if (ended or takeover) and self.autostart and self.read_only is None:
                self._schedule(self._due(snapshot) + TAKEOVER_GRACE)
        self.refresh_bindings()
        self._show_status()
        self._schedule_poll()

    def on_dashboard_load_failed(self, message: Dashboard.LoadFailed) -> None:
        self._poll_failures += 1
        if self.problem is None:
            self.notify(
                f"Cannot read the database: {message.error}. Trying again.",
                title="Database",
                severity="error",
                timeout=10,
            )
            self.dashboard.log_line("error", f"cannot read the database: {message.error}")
        self.problem = message.error
        self._show_status()
        self._schedule_poll(min(POLL_RETRY_CAP, FOLLOW_POLL * 2**self._poll_failures))

    # -- another process's sync ---------------------------------------------------------------

    def _foreign(self, lease: LeaseInfo | None) -> LeaseInfo | None:
        """The lease unless this console's own events hold it (known by the holder they set
        before taking it: a read may see the lease before `EventsLink.lease` is set)."""
        own = self.sync.events.holder if self.sync.events is not None else None
        return None if lease is not None and own is not None and lease.holder == own else lease

    def _set_watching(self, lease: LeaseInfo | None) -> bool:
        """Follow the sync lease another process holds (None: nobody's); True when it was
        just freed."""
        before, self.watching = self.watching, lease
        if (before is None) == (lease is None):
            return False
        for screen in self.screen_stack:
            if isinstance(screen, SettingsScreen):
                screen.set_read_only(self.settings_lock)
        if lease is not None:
            self.sync.unschedule()  # its runs are the ones that count now
            notice = self.read_only or ""
            self.notify(
                f"{notice[:1].upper()}{notice[1:]}; its progress, counts and log are shown here "
                "live.",
                title="Read-only",
                severity="warning",
                timeout=10,
            )
            self.dashboard.log_line("info", notice)
            return False
        assert before is not None
        ended = f"the sync on {where(before)} has ended"
        if not self.readonly:
            ended += "; this console may sync again"
        self.notify(f"{ended[:1].upper()}{ended[1:]}.", title="Sync")
        self.dashboard.log_line("info", ended)
        return True

    def _foreign_run_ended(self, snapshot: Snapshot) -> bool:
        """A buildup or update another process ran has ended since the last read."""
        run = snapshot.progress.run
        if run is None or run.id == self._followed_run or run.id in self._own_runs:
            return False
        if run.state == "running" or run.mode not in ("buildup", "update"):
            return False
        self._followed_run = run.id
        return True

    # -- schedule -----------------------------------------------------------------------------

    def _first_run(self, snapshot: Snapshot) -> None:
        """SPEC §5: a first start with an empty store builds up; otherwise updates on schedule.
        While another process syncs, nothing: its lease's end schedules this console's run."""
        if mend_first(self) or self.readonly or not self.autostart or self.watching is not None:
            return
        if not snapshot.completed_buildup:
            self.start_sync("buildup")
        else:
            # Not yet due: another process (a daemon) may sync on the same schedule; let it go
            # first. Overdue: nobody does, so at once.
            due = self._due(snapshot)
            self._schedule(due + TAKEOVER_GRACE if due > 0 else 0.0)

    def _due(self, snapshot: Snapshot) -> float:
        """Seconds until a run is due: `sync.update_frequency` after the last sync anyone
        finished; at once when that is past or while no buildup has completed."""
        since = _age(snapshot.last_sync)
        if not snapshot.completed_buildup or since is None:
            return 0.0
        return max(0.0, self.config.sync.update_frequency - since)

    def _schedule(self, delay: float | None = None) -> None:
        if self.read_only is None:
            self.sync.schedule(float(self.config.sync.update_frequency) if delay is None else delay)
        self._show_status()

    def _schedule_poll(self, delay: float | None = None) -> None:
        """Read the store again in `delay` seconds (poll, then schedule: reads never overlap)."""
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        if self.sync.running:
            return  # our own run's events refresh the dashboard; its end reads again
        if delay is None:
            delay = FOLLOW_POLL if self.watching is not None else IDLE_POLL
        self._poll_timer = self.set_timer(delay, self._poll, name="poll store")

    def _poll(self) -> None:
        self._poll_timer = None
        if not self.sync.running:
            for dashboard in self.main_screen.query(Dashboard):  # none once it is closing
                dashboard.reload()


def where(lease: LeaseInfo) -> str:
    """Which process holds the sync lease, for the operator: "HOST (pid N)"."""
    return f"{plain(lease.host, limit=80)} (pid {lease.pid})"


def _age(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        when = parse_iso(iso)
    except ValueError:
        return None
    return max(0.0, time.time() - when.timestamp())
