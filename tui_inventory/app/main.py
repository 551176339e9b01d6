"""The console application: the keys, what the sync worker reports, and the data refresh.

The app owns the store (`.store`), the settings (`.config`) and whether it may sync: never when
started with `--readonly`, and not while another process holds the sync lease (`.watching`).
The sync runs in `SyncWorker`'s thread; the app turns what it reports into the dashboard's
state, notifications and — throttled — a `DataChanged` for the views that show data. The next
periodic update is scheduled when a run ends, so runs never overlap: when it reads the store and
syncs, and how it follows another process's sync, is `app/schedule.py`.

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, assert_never

from rich.text import Text
from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button

from tui_inventory import logs
from tui_inventory.config import Config
from tui_inventory.store.lease import LeaseInfo
from tui_inventory.store.repo import HeldRecord, Store
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import PasswordSource
from tui_inventory.text import plain

from .changes import ChangesView
from .cleanup import cleanup_dialog
from .dashboard import Dashboard
from .events_link import EventsLink
from .help import HelpScreen
from .inventory import InventoryView
from .main_screen import MainScreen
from .mend import mend_first
from .messages import (
    CleanupSettled,
    DataChanged,
    SyncEvent,
    SyncFinished,
    SyncProgress,
    SyncRefused,
    SyncStarted,
)
from .outcome import run_outcome
from .palette import palette_commands
from .quitting import QuitDialog, quit_dialog
from .schedule import TAKEOVER_GRACE, SyncSchedule
from .settings import SettingsScreen
from .verify import VerifyJob, start_verify
from .worker import SyncWorker

log = logging.getLogger(__name__)

REFRESH_INTERVAL = 0.5  # at most two data refreshes a second during a sync
SHUTDOWN_WAIT = 60.0  # seconds to let a cancelled sync finish its page when the console quits
WRITERS = ("buildup", "update", "cancel_sync", "review_cleanup")  # off while read-only


def sixteen_colours(environ: dict[str, str]) -> bool:
    """A terminal that announces no more than 16 colours (the ANSI theme reads best there)."""
    if environ.get("COLORTERM", "") in ("truecolor", "24bit"):
        return False
    term = environ.get("TERM", "")
    return bool(term) and term != "dumb" and "256" not in term and "direct" not in term


class InventoryApp(SyncSchedule):
    """The tui-inventory console."""

    CSS_PATH = Path(__file__).with_name("theme.tcss")  # absolute: subclasses live elsewhere
    TITLE = "tui-inventory"
    BINDINGS = [
        # (the tooltips are the help's explanations too)
        Binding(
            "b",
            "buildup",
            "Buildup",
            tooltip="page through every inventory, then remove what upstream no longer has",
        ),
        Binding(
            "u", "update", "Update", tooltip="fetch what changed upstream in the last 24 hours"
        ),
        Binding(
            "c",
            "cancel_sync",
            "Cancel",
            tooltip="stop the running sync after its current page; no cleanup follows",
        ),
        Binding(
            "x", "review_cleanup", "Cleanup", tooltip="decide a held-back cleanup (when one waits)"
        ),
        # (not in the footer, full at 80 columns: in the help and the command palette)
        Binding(
            "v",
            "verify",
            "Verify",
            tooltip="compare the store with upstream (read-only)",
            show=False,
        ),
        # While read-only the four above show disabled; these answer their keys with the reason.
        Binding("b,u,c", "refuse", show=False),
        Binding("x", "refuse('cleanup')", show=False),
        Binding("x", "no_cleanup", show=False),  # says there is none to decide
        Binding(
            "slash",
            "search",
            "Search",
            tooltip="search the current table as you type (on Changes: type its since box)",
        ),
        Binding("s", "settings", "Settings", tooltip="addresses, users, passwords, sync frequency"),
        Binding("question_mark", "help", "Help", tooltip="this help"),
        Binding("escape", "back", "Back", tooltip="back to the screen before"),
        Binding("q", "quit", "Quit", tooltip="quit the console (asks first while a sync runs)"),
    ]

    def __init__(
        self,
        config: Config,
        db_url: str,
        *,
        passwords: PasswordSource,
        demo: Any = None,
        readonly: bool = False,
        autostart: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.db_url = db_url
        self.demo = demo
        self.readonly = readonly
        self.autostart = autostart
        self.store = Store(db_url)
        self._passwords = passwords
        self.sync = SyncWorker(
            self.store,
            config=lambda: self.config,
            passwords=passwords,
            before_update=demo.dataset.tick if demo is not None else None,
        )
        self.main_screen = MainScreen(self.sync)
        self.sync_mode: str | None = None  # what runs now (buildup, update, auto)
        self.watching: LeaseInfo | None = None  # the lease of a sync another process runs now
        self.problem: str | None = None  # why the store cannot be read, while it cannot
        self.held: dict[str, HeldRecord] = {}
        self._refresh_timer: Timer | None = None
        self._poll_timer: Timer | None = None
        self._poll_failures = 0
        self._last_refresh = 0.0
        self._revision: int | None = None  # the newest revision the views have been told of
        self._own_runs: set[int] = set()
        self._followed_run: int | None = None  # the latest run by another process, once ended
        self._started = False

    # -- set-up -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return self.main_screen

    def on_ready(self) -> None:
        # Not under NO_COLOR: Textual chose its monochrome filter in App.__init__, for the
        # default theme, and that filter turns the ANSI theme's colours all black (text black
        # on black). Without colour the default theme's greys read on 16 colours too.
        if not self.is_headless and not self.no_color and sixteen_colours(dict(os.environ)):
            self.theme = "ansi-dark"
        if self.demo is not None:
            self.title = "tui-inventory — DEMO"
            self.sub_title = f"simulator at {self.demo.base_url}"
        if self.readonly:
            self.sub_title = " · ".join(s for s in (self.sub_title, "read-only") if s)
        mend_first(self)  # a bad value in the settings file: Settings at once
        if self.config.events.enabled and not self.readonly:  # SPEC §10: listen while syncing
            self.sync.events = EventsLink(self.sync._new_engine())
            self.main_screen.mount(self.sync.events)
        self.dashboard.reload()  # then poll: see on_dashboard_loaded
        self._show_status()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from palette_commands(self, screen, super().get_system_commands(screen))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is literal text: they carry reasons and keys from the APIs."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def dashboard(self) -> Dashboard:
        return self.main_screen.query_one(Dashboard)

    def _shown_dashboard(self) -> Dashboard | None:
        """The dashboard, or None while the main screen is not composed yet (the console opened
        on Settings to mend a bad value): it reads the store itself when it mounts."""
        try:
            return self.dashboard
        except NoMatches:
            return None

    # -- keys ---------------------------------------------------------------------------------

    @property
    def shown(self) -> Screen[Any]:
        """The screen the operator works on: under the command palette while that is open, so
        the palette offers (and runs) the keys of the screen it was opened on."""
        stack = [s for s in self.screen_stack if not isinstance(s, CommandPalette)]
        return stack[-1] if stack else self.screen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("refuse", *WRITERS) and self.shown is not self.main_screen:
            return False  # a sync starts, stops or removes from the main screen only
        if action == "refuse":  # only while read-only, and x only with a cleanup to decide
            return self.read_only is not None and (not parameters or bool(self.held))
        if action == "no_cleanup":
            return not self.held and self.shown is self.main_screen
        if action == "search":  # the tables are on the main screen
            return self.shown is self.main_screen
        if action == "review_cleanup" and not self.held:
            return False
        if action in WRITERS:
            return True if self.read_only is None else None  # None: shown disabled
        if action == "back":
            return self.shown is not self.screen_stack[0]
        return True

    def action_no_cleanup(self) -> None:
        self.notify("No cleanup is waiting for a decision.", title="Cleanup")

    def action_refuse(self, what: str = "") -> None:
        self.notify(self.refusal(), title="Read-only", severity="warning")

    def start_sync(self, mode: str) -> None:
        if self.read_only is not None:
            self.action_refuse()
            return
        if self.sync.running:
            self.notify("A sync is already running; c cancels it.", severity="warning")
            return
        self.sync.start(mode)

    def action_buildup(self) -> None:
        self.start_sync("buildup")

    def action_update(self) -> None:
        self.start_sync("update")

    def action_cancel_sync(self) -> None:
        if self.read_only is not None:
            self.action_refuse()
        elif self.sync.cancel():
            self.notify("Cancelling after the current page; no cleanup will follow.")
            self._show_status()
        else:
            self.notify("No sync is running.")

    def action_search(self) -> None:
        if self.screen is not self.main_screen:
            return
        tabs = self.main_screen.tabs
        if tabs.active == "tab-changes":
            self.main_screen.query_one(ChangesView).focus_search()
            return
        views = tabs.get_pane(tabs.active).query(InventoryView)
        if not views:
            self.main_screen.show_tab("tab-services")
            views = self.main_screen.query(InventoryView)
        focus_search = getattr(views.first(), "focus_search", None)
        if callable(focus_search):
            focus_search()

    async def action_quit(self) -> None:
        if not self.sync.running or isinstance(self.screen, QuitDialog):
            await super().action_quit()
            return

        async def quit_if(answer: str | None) -> None:
            if answer == "quit":
                await super(InventoryApp, self).action_quit()

        self.push_screen(quit_dialog(self.sync_mode, lambda: self.sync.running), quit_if)

    def action_settings(self) -> None:
        if isinstance(self.screen, SettingsScreen):
            return
        self.push_screen(
            SettingsScreen(
                self.config,
                passwords=self._passwords,
                read_only=self.settings_lock,
                demo=self.demo is not None,
            )
        )

    def action_verify(self) -> None:
        start_verify(VerifyJob(self, self.dashboard, self.config, self.db_url, self._passwords))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(MainScreen.BINDINGS))

    def action_review_cleanup(self) -> None:
        if self.held:
            self.review_cleanup(sorted(self.held)[0])

    def review_cleanup(self, kind: str) -> None:
        held = self.held.get(kind)
        if held is None:
            return
        if self.read_only is not None:
            self.action_refuse()
            return

        def decided(answer: str | None) -> None:
            if answer not in ("remove", "keep"):
                return  # decide later
            if self.read_only is not None:  # another process began to sync meanwhile
                self.action_refuse()
                return
            if not self.sync.decide_cleanup(kind, confirm=answer == "remove"):
                self.notify("Wait for the running sync to finish.", severity="warning")

        self.push_screen(cleanup_dialog(held), decided)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button.startswith("review-"):
            self.review_cleanup(button.removeprefix("review-"))

    # -- what the worker reports ----------------------------------------------------------------

    def on_sync_started(self, message: SyncStarted) -> None:
        self.sync_mode = message.mode
        self._schedule_poll()  # none while our run's events refresh the dashboard
        self._show_status()
        self.refresh_bindings()  # the footer keeps `c Cancel` first while it runs

    def on_sync_progress(self, message: SyncProgress) -> None:
        if (dashboard := self._shown_dashboard()) is not None:
            dashboard.apply_progress(message.event)
        self.refresh_data()

    def on_sync_event(self, message: SyncEvent) -> None:
        event = message.event
        if (dashboard := self._shown_dashboard()) is not None:
            dashboard.apply_event(event)
        match event:
            case ev.RunStarted():
                self.sync_mode = event.mode
                self._own_runs.add(event.run_id)
                self._show_status()
            case ev.CleanupHeld():
                self.notify(
                    f"Cleanup of {event.kind} held back: it would remove {event.would_remove} "
                    f"of {event.total}. Press x to decide.",
                    title="Cleanup held back",
                    severity="warning",
                    timeout=10,
                )
                self.refresh_data()
            case ev.TypeFinished() | ev.CleanupDone() | ev.RunFinished():
                self.refresh_data()
            case ev.TypeStarted() | ev.PageStored() | ev.GapRecorded() | ev.Logged():
                pass  # the dashboard shows them
            case _:
                assert_never(event)

    def on_sync_finished(self, message: SyncFinished) -> None:
        result = message.result
        self.sync_mode = None
        severity: SeverityLevel = "error"
        if result.state in ("succeeded", "partial"):
            severity = "information" if result.state == "succeeded" else "warning"
        self.notify(run_outcome(result), severity=severity)
        self._schedule()
        self.refresh_data(now=True)

    def on_sync_refused(self, message: SyncRefused) -> None:
        self.sync_mode = None
        sentence = plain(message.message, limit=1000)
        self.notify(
            sentence,
            title=message.title,
            severity="warning" if message.lease_held else "error",
            timeout=10,
        )
        self.dashboard.log_line("warning" if message.lease_held else "error", sentence)
        # Another process syncs: try again after a while (the read that follows shows its lease,
        # which holds this console's runs back until it is free again).
        self._schedule(TAKEOVER_GRACE if message.lease_held else None)
        self.refresh_data(now=True)

    def on_cleanup_settled(self, message: CleanupSettled) -> None:
        if message.error:
            self.notify(plain(message.error), title="Cleanup", severity="error", timeout=10)
        elif message.confirmed:
            self.notify(f"Cleanup of {message.kind} removed {message.removed}.", title="Cleanup")
        else:
            self.notify(f"Cleanup of {message.kind} discarded: nothing removed.", title="Cleanup")
        self.refresh_data(now=True)

    def on_settings_screen_saved(self, message: SettingsScreen.Saved) -> None:
        self._started &= not self.config.bad_values()  # mended: the first run, at the next read
        self.config = message.config
        if self.sync.next_at is not None:
            self._schedule()

    # -- data refresh -------------------------------------------------------------------------

    def refresh_data(self, *, now: bool = False) -> None:
        """Tell the views and the dashboard the store changed: at most ~2 times a second."""
        wait = REFRESH_INTERVAL - (time.monotonic() - self._last_refresh)
        if now or wait <= 0:
            if self._refresh_timer is not None:
                self._refresh_timer.stop()
                self._refresh_timer = None
            self._broadcast()
            self.dashboard.reload(sync_running=self.sync.running)
        elif self._refresh_timer is None:
            self._refresh_timer = self.set_timer(wait, self._deferred_refresh)

    def _deferred_refresh(self) -> None:
        self._refresh_timer = None
        self.refresh_data(now=True)

    def _broadcast(self) -> None:
        self._last_refresh = time.monotonic()
        for view in self.main_screen.query("InventoryView, ChangesView"):
            view.post_message(DataChanged())

    # -- status line --------------------------------------------------------------------------

    def _show_status(self) -> None:
        if self.main_screen.is_mounted:
            self.dashboard.show_status(
                mode=self.sync_mode if self.sync.running else None,
                cancelling=self.sync.cancelling,
                read_only=self.read_only,
                next_at=self.sync.next_at,
                problem=self.problem,
            )

    # -- crashes ------------------------------------------------------------------------------

    def _fatal_error(self) -> None:
        """A crash report without the locals Textual would print (they may hold secrets)."""
        error = sys.exc_info()[1] or self._exception
        log.critical("the console stopped on an unexpected error", exc_info=error)
        if error is not None:
            report = "".join(traceback.format_exception(error))
        else:
            report = "(no traceback available)"
        path = logs.log_path()
        self.bell()
        self._exit_renderables.append(
            Text.assemble(
                ("tui-inventory stopped on an unexpected error (a bug).\n", "bold red"),
                plain(logs.redact(report), single_line=False),
                f"\nThe log file {path} has the same report." if path else "",
            )
        )
        self._close_messages_no_wait()


def run_console(
    config: Config,
    db_url: str,
    *,
    passwords: PasswordSource,
    demo: Any = None,
    readonly: bool = False,
) -> int:
    app = InventoryApp(config, db_url, passwords=passwords, demo=demo, readonly=readonly)
    try:
        return app.run() or 0
    finally:
        # A sync still running was told to stop after its current page (its buildup resumes
        # next time); wait for that so the lease is released and the run recorded as cancelled.
        if not app.sync.wait_idle(SHUTDOWN_WAIT):
            log.warning("the sync did not stop within %s s of quitting", SHUTDOWN_WAIT)
        app.store.close()
