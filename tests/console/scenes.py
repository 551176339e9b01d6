"""The console's scenes, set up once for two users: `scripts/screenshots.py` and
`scripts/events_screenshot.py` (the pictures in screenshots/) and `test_snapshots.py` (the same
scenes as SVG snapshots that fail when the look changes).

A scene is a coroutine taking the running app's `Pilot` and the simulator it reads from; it drives
the real app with keys (as an operator would) until the picture stands still: every scene waits
for what it shows, never for a time. Each scene starts from a fresh app on an empty store, and
brings the data it needs with it (`built_up`, `updated`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input, Static
from waiting import wait_for_async

from tui_inventory.app.cleanup import CleanupDialog
from tui_inventory.app.dashboard import Dashboard, SyncLog
from tui_inventory.app.instance import InstanceScreen
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.app.verify import VerifyReportScreen
from tui_inventory.config import Config
from tui_inventory.simulator import Simulator
from tui_inventory.simulator.drift import drift

Scene = Callable[[Pilot[Any], Simulator], Awaitable[None]]

CHANGED = "SVC-000000"  # the service whose history the instance scene shows
SEARCH = "Aero"  # what the table scene searches for
STALL_PAGE = 4  # the resources page the upstream answers 503 to in the buildup scene
SETTINGS = {"sync.records_per_page": 50, "sync.page_concurrency": 1}  # one page at a time
# The workers that run on while a picture is taken (a stalled sync, the events listener).
LONG_WORKERS = {"sync", "events"}
RUN_ENDED = re.compile(r"\S+ \w+ +(buildup|update) (?!started)")


def app_of(pilot: Pilot[Any]) -> InventoryApp:
    return cast(InventoryApp, pilot.app)


async def wait(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, timeout: float = 60.0
) -> None:
    await wait_for_async(condition, timeout, what, pause=lambda: pilot.pause(0.02))


async def settle(pilot: Pilot[Any]) -> None:
    """Until the app's short workers (store reads, lists) have ended and what they read is drawn;
    toasts go (each would fade at its own moment), a text box's cursor stops blinking, and the
    sync log is at its end."""
    app = app_of(pilot)

    def idle() -> bool:
        return not [w for w in app.workers if w.group not in LONG_WORKERS and not w.is_finished]

    await wait(pilot, idle, "the app's workers to end")
    for box in app.screen.query(Input):
        box.cursor_blink = False  # the cursor shown, not half the time
    # The sync log at its end, where it scrolls by itself a moment after a line.
    app.dashboard.query_one(SyncLog).scroll_end(animate=False)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    app.clear_notifications()
    await pilot.pause()


async def read_store(pilot: Pilot[Any]) -> None:
    """Until the dashboard has read the store after this moment."""
    app = app_of(pilot)
    asked = time.monotonic()
    app.refresh_data(now=True)
    await wait(
        pilot,
        lambda: app.dashboard.snapshot is not None and app.dashboard.snapshot.requested >= asked,
        "the dashboard to read the store",
    )


async def sync_with(pilot: Pilot[Any], key: str) -> None:
    """Press `key` (b: buildup, u: update) and wait until that run ended and was read."""
    app = app_of(pilot)
    sync_log = app.dashboard.query_one(SyncLog)
    before = len(sync_log.lines_kept)
    await pilot.press(key)
    await wait(pilot, lambda: not app.sync.running, f"the run ({key}) to end")
    await read_store(pilot)

    def run_told() -> bool:  # the run's last line: "buildup succeeded", "update partial: …"
        app.refresh_data()  # (at most twice a second)
        lines = list(sync_log.lines_kept)[before:]
        return any(RUN_ENDED.match(line.plain) for line in lines)

    await wait(pilot, run_told, f"the sync log to tell the run ({key}) ended")
    await settle(pilot)


async def built_up(pilot: Pilot[Any], sim: Simulator) -> None:
    await sync_with(pilot, "b")


async def updated(pilot: Pilot[Any], sim: Simulator) -> None:
    """A buildup, then an upstream change fetched by an update: `CHANGED` has a history."""
    await built_up(pilot, sim)
    sim.dataset.set_field("services", CHANGED, "Description", "Upgraded to 50 Mbps CIR")
    sim.dataset.set_characteristic("services", CHANGED, "CIR_Mbps", 50)
    await sync_with(pilot, "u")


# -- the scenes ------------------------------------------------------------------------------


async def dashboard_buildup(pilot: Pilot[Any], sim: Simulator) -> None:
    """A buildup standing still: services and carriers done, resources at page STALL_PAGE - 1,
    its next page answered 503 (retried after a minute)."""
    app = app_of(pilot)
    sim.faults.add("resources", STALL_PAGE, "503", times=-1, retry_after="60")
    await pilot.press("b")
    panel = app.dashboard.panel("resources")
    await wait(
        pilot,
        lambda: panel.figures is not None and panel.figures.page == STALL_PAGE - 1,
        f"resources' page {STALL_PAGE - 1}",
    )
    sync_log = app.dashboard.query_one(SyncLog)

    def retry_told() -> bool:
        app.refresh_data()  # (at most twice a second)
        return any(f"HTTP 503 on page {STALL_PAGE}" in line.plain for line in sync_log.lines_kept)

    await wait(pilot, retry_told, "the sync log to tell the retry")
    await read_store(pilot)
    await settle(pilot)


async def table_search(pilot: Pilot[Any], sim: Simulator) -> None:
    """The services table, searched for SEARCH."""
    await updated(pilot, sim)
    await pilot.press("tab", "slash", *SEARCH)
    await settle(pilot)


async def instance_history(pilot: Pilot[Any], sim: Simulator) -> None:
    """Service CHANGED, scrolled down to its revision history."""
    app = app_of(pilot)
    if app.dashboard.snapshot is None or not app.dashboard.snapshot.counts.get("services"):
        await updated(pilot, sim)
    app.push_screen(InstanceScreen("services", CHANGED))
    await wait(pilot, lambda: isinstance(app.screen, InstanceScreen), "the instance")
    await wait(pilot, lambda: bool(app.screen.query(VerticalScroll)), "the instance's body")
    await settle(pilot)
    for body in app.screen.query(VerticalScroll):
        body.scroll_end(animate=False)
    await settle(pilot)


async def settings(pilot: Pilot[Any], sim: Simulator) -> None:
    app = app_of(pilot)
    await pilot.press("s")
    await wait(pilot, lambda: isinstance(app.screen, SettingsScreen), "the settings")
    await settle(pilot)


async def verify_report(pilot: Pilot[Any], sim: Simulator) -> None:
    """The upstream drifted after a buildup: the verify report finds exactly that."""
    app = app_of(pilot)
    if app.dashboard.snapshot is None or not app.dashboard.snapshot.counts.get("services"):
        await built_up(pilot, sim)
    drift(sim.dataset)
    await pilot.press("v")
    await wait(pilot, lambda: isinstance(app.screen, VerifyReportScreen), "the verify report")
    await settle(pilot)


async def cleanup_dialog(pilot: Pilot[Any], sim: Simulator) -> None:
    """Most carriers gone upstream: the buildup holds its cleanup back; its dialog lists them."""
    app = app_of(pilot)
    if app.dashboard.snapshot is None or not app.dashboard.snapshot.counts.get("carriers"):
        await built_up(pilot, sim)
    carriers = sorted(sim.dataset.expected_keys("carriers"))
    for key in carriers[: len(carriers) * 3 // 4]:
        sim.dataset.remove("carriers", key)
    await sync_with(pilot, "b")
    await wait(pilot, lambda: "carriers" in app.held, "the held cleanup")
    app.review_cleanup("carriers")
    await wait(pilot, lambda: isinstance(app.screen, CleanupDialog), "the cleanup dialog")
    dialog = cast(CleanupDialog, app.screen)
    await wait(pilot, lambda: bool(dialog.listed), "the cleanup's list")
    await settle(pilot)


def status_line(app: InventoryApp) -> str:
    return str(app.dashboard.query_one("#status", Static).render())


async def events_arrived(pilot: Pilot[Any], sim: Simulator, changes: int = 12) -> None:
    """After a buildup, `changes` upstream changes arrive as events (SPEC §10), one after the
    other (each stored before the next is made: the feed's order is theirs)."""
    app = app_of(pilot)
    await wait(pilot, lambda: len(sim.events.hubs) == 2, "the console's event subscriptions")
    await built_up(pilot, sim)
    for n in range(1, changes + 1):
        sim.events.change(1)

        def arrived(n: int = n) -> bool:
            return f"events live, {n} arrived" in status_line(app)

        await wait(pilot, arrived, f"event {n}")
    await read_store(pilot)
    await settle(pilot)


async def events_dashboard(pilot: Pilot[Any], sim: Simulator) -> None:
    await events_arrived(pilot, sim)
    app_of(pilot).main_screen.show_tab("tab-dashboard")
    await settle(pilot)


async def events_changes(pilot: Pilot[Any], sim: Simulator) -> None:
    await events_arrived(pilot, sim)
    app_of(pilot).main_screen.show_tab("tab-changes")
    await settle(pilot)


# -- the pictures ----------------------------------------------------------------------------

EVENTS = {"events.enabled": True, "events.listen": "127.0.0.1:0"}


@dataclass(frozen=True)
class Shot:
    """A picture: its file's name, its title, the scene, and the app's dialect and settings.
    The TM Forum dialect reports totals: the progress bars show a share and an ETA."""

    name: str
    title: str
    scene: Scene
    dialect: str = "tmf630"
    settings: dict[str, Any] = field(default_factory=dict)

    def config(self, sim: Simulator, path: Path) -> Config:
        cfg = Config(path=path / "config.toml")
        for name, value in {**sim.settings(self.dialect), **SETTINGS, **self.settings}.items():
            cfg.set(name, value)
        return cfg

    async def run(self, pilot: Pilot[Any], sim: Simulator) -> None:
        """The scene, once the console has drawn its first screen."""
        app = app_of(pilot)
        await wait(pilot, lambda: bool(app.screen.query(Dashboard)), "the dashboard")
        await pilot.pause()
        await self.scene(pilot, sim)

    def app(self, sim: Simulator, path: Path) -> InventoryApp:
        """The console for this shot on a fresh store in `path`, not syncing by itself."""
        return InventoryApp(
            self.config(sim, path),
            str(path / "inventory.db"),
            passwords=sim.passwords.get,
            autostart=False,
        )


SHOTS = {
    shot.name: shot
    for shot in (
        Shot("dashboard-buildup", "dashboard during a buildup", dashboard_buildup),
        Shot("table-search", f"services searched for {SEARCH!r}", table_search),
        Shot("instance-history", f"service {CHANGED} and its history", instance_history),
        Shot("settings", "settings", settings),
        Shot("verify-report", "verify report", verify_report),
        Shot("cleanup-dialog", "a held-back cleanup, listed", cleanup_dialog),
        Shot("events-dashboard", "dashboard with events live", events_dashboard, "ses", EVENTS),
        Shot("events-changes", "the Changes feed as events arrive", events_changes, "ses", EVENTS),
    )
}
