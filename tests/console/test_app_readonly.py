"""Read-only consoles ([team] issue): a console that does not hold the sync lease, or was started
with `--readonly`, follows the sync another process runs — its progress, counts, log and tables,
live from the database — and refuses the keys that would write, saying why.

The acceptance: the `tui-inventory sync` daemon builds up a PostgreSQL store from the simulator
while two read-only consoles, driven by Pilot side by side in one event loop, each on its own
connection, show the buildup's progress rising and the final counts. The same on a SQLite file
written by a `sync --once` process. And what a console not started with `--readonly` does when the
other sync ends: it takes its normal role back, its next run held back by `TAKEOVER_GRACE`.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import last_result, runs_ended, sim_config, wait_for
from cli_fixtures import CLI, env_with_passwords, write_config
from daemon_fixtures import DaemonProcess
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from tui_inventory import KINDS
from tui_inventory.app.dashboard import SyncLog
from tui_inventory.app.inventory import InventoryView
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.panel import InventoryPanel
from tui_inventory.app.schedule import TAKEOVER_GRACE
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.store.lease import SyncLease, live_lease
from tui_inventory.store.repo import Store
from tui_inventory.text import plain


def widget_text(widget: Widget) -> str:
    assert isinstance(widget, Static)
    return str(widget.render())


def console(
    sim: Any, db_url: str, home: Path, *, readonly: bool = True, **settings: Any
) -> InventoryApp:
    """A console on `db_url`, configured for `sim` (a read-only one never asks for a password)."""
    home.mkdir(parents=True, exist_ok=True)
    cfg = sim_config(sim, home, **settings)
    return InventoryApp(cfg, db_url, passwords=sim.passwords.get, readonly=readonly)


@dataclass
class Follower:
    """What one console showed while another process synced: read from its widgets."""

    app: InventoryApp
    kind: str = "resources"
    progress: list[tuple[int, str]] = field(default_factory=list)  # (received, line shown)
    watched_by: set[str] = field(default_factory=set)  # the read-only notices shown

    @property
    def panel(self) -> InventoryPanel:
        return self.app.dashboard.panel(self.kind)

    def look(self) -> None:
        """Note the progress and status lines the dashboard shows now."""
        panel = self.panel
        state = widget_text(panel.query_one(".state"))
        if "building" in state and panel.figures is not None:
            shown = widget_text(panel.query_one(".detail"))
            if not self.progress or self.progress[-1][1] != shown:
                self.progress.append((panel.figures.received, shown))
        status = widget_text(self.app.dashboard.query_one("#status"))
        if "the sync runs on" in status:
            self.watched_by.add(status)

    def rising(self) -> bool:
        received = [n for n, _ in self.progress]
        return len(set(received)) >= 2 and received == sorted(received)


def sync_log(app: InventoryApp) -> str:
    return "\n".join(line.text for line in app.dashboard.query_one(SyncLog).lines)


async def follow(
    follower: Follower, ready: asyncio.Event, done: Callable[[InventoryApp], bool]
) -> str:
    """Run the console until `done(app)`, noting what it shows; its sync log at the end."""
    app = follower.app
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.snapshot is not None, 10, "the first read")
        ready.set()
        deadline = time.monotonic() + 120
        while not done(app):
            assert time.monotonic() < deadline, "the console never showed the end of the sync"
            assert not app.sync.running  # a read-only console never syncs
            follower.look()
            await pilot.pause(0.05)
        await pressing_b_is_refused(pilot, app)
        await table_shows(pilot, app, "services")
        return sync_log(app)


async def pressing_b_is_refused(pilot: Pilot[Any], app: InventoryApp) -> None:
    before = {n.identity for n in app._notifications}  # (older ones may expire meanwhile)
    await pilot.press("b")
    await pilot.pause()
    assert not app.sync.running
    new = [n for n in app._notifications if n.identity not in before]
    assert any("read-only" in n.message for n in new)
    assert not app.screen.active_bindings["b"].enabled  # shown disabled in the footer


async def table_shows(pilot: Pilot[Any], app: InventoryApp, kind: str) -> None:
    """The table of `kind` shows every stored instance (it re-read after the other's writes)."""
    app.main_screen.show_tab(f"tab-{kind}")
    table = next(v for v in app.main_screen.query(InventoryView) if v.kind == kind).table
    expected = app.store.count(kind)
    await wait_for(pilot, lambda: table.total == expected and not table.pending, 10, "the table")


def final_counts_shown(expected: dict[str, int]) -> Callable[[InventoryApp], bool]:
    def shown(app: InventoryApp) -> bool:
        snap = app.dashboard.snapshot
        if snap is None or snap.counts != expected or app.watching is not None:
            return False
        return all(
            f"{expected[k]} stored" in widget_text(app.dashboard.panel(k).query_one(".details"))
            for k in KINDS
        )

    return shown


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_read_only_consoles_follow_the_daemon_buildup_live(
    make_sim: Callable[..., Any], store_url: str, tmp_path: Path
) -> None:
    sim = make_sim(services=150, carriers=40, resources=400, latency_ms=150)
    expected = {k: len(sim.dataset.expected_keys(k)) for k in KINDS}
    followers = [Follower(console(sim, store_url, tmp_path / f"console-{i}")) for i in (1, 2)]
    ready = [asyncio.Event(), asyncio.Event()]
    tasks = [
        asyncio.create_task(follow(f, r, final_counts_shown(expected)))
        for f, r in zip(followers, ready, strict=True)
    ]
    daemon: DaemonProcess | None = None
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 30)
        # tmf630: the upstream tells its totals, so the consoles show percentages too.
        settings = {
            **sim.settings("tmf630"),
            "sync.records_per_page": 10,
            "sync.page_concurrency": 1,
        }
        daemon = DaemonProcess(sim, store_url, tmp_path / "daemon", **settings)
        logs = await asyncio.wait_for(asyncio.gather(*tasks), 150)
        assert daemon.stop(signal.SIGTERM) == 0, daemon.stderr
    finally:
        for task in tasks:
            task.cancel()
        if daemon is not None:
            daemon.kill()
        for f in followers:
            f.app.store.close()

    for follower, log in zip(followers, logs, strict=True):
        assert follower.rising(), follower.progress  # the buildup's progress, live
        assert any("%" in shown and "page" in shown for _, shown in follower.progress)
        assert {f"pid {daemon.proc.pid}" in s for s in follower.watched_by} == {True}
        assert "buildup succeeded" in log  # the daemon's log lines, read from the database


async def test_a_console_follows_a_sync_once_process_on_sqlite_and_takes_over_after_it(
    make_sim: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(services=120, carriers=30, resources=300, latency_ms=100)
    expected = {k: len(sim.dataset.expected_keys(k)) for k in KINDS}
    db = str(tmp_path / "inventory.db")
    home = tmp_path / "sync"
    home.mkdir()
    config = write_config(
        home / "config.toml", sim, **{"sync.records_per_page": 10, "sync.page_concurrency": 1}
    )
    errors = home / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [*CLI, "--config", str(config), "--db", db, "sync", "--once"],
            env=env_with_passwords(sim, home),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 30
        while not Path(db).exists() or not has_live_lease(db):
            assert process.poll() is None and time.monotonic() < deadline, errors.read_text()
            time.sleep(0.02)
        # Not --readonly: the console is read-only because the other process holds the lease.
        app = console(sim, db, tmp_path / "console", readonly=False)
        follower = Follower(app)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.watching is not None, 10, "the lease to be seen")
            assert app.watching is not None and app.watching.pid == process.pid
            assert app.sync.next_at is None  # no run of its own while the other syncs
            await pressing_b_is_refused(pilot, app)
            screen = await open_settings(pilot, app)
            assert screen.query_one("#save").disabled
            assert f"pid {process.pid}" in widget_text(screen.query_one("#readonly-note"))
            await pilot.press("escape")

            done = final_counts_shown(expected)
            while not done(app):
                assert process.poll() in (None, 0), errors.read_text()
                follower.look()
                await pilot.pause(0.05)
            assert follower.rising(), follower.progress
            assert process.wait(10) == 0
            assert "buildup succeeded" in sync_log(app)
            # The lease is free: the console takes its normal role back. Its next run is due a
            # period after the other's buildup, and a grace later (a daemon would go first).
            assert app.read_only is None and app.screen.active_bindings["b"].enabled
            assert app.sync.next_at is not None
            due = time.time() + app.config.sync.update_frequency + TAKEOVER_GRACE
            assert abs(app.sync.next_at - due) < 15
            await table_shows(pilot, app, "resources")
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def has_live_lease(db: str) -> bool:
    with Store(db) as store:
        return live_lease(store) is not None


async def open_settings(pilot: Pilot[Any], app: InventoryApp) -> SettingsScreen:
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 5, "the settings")
    await pilot.pause()
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


async def test_a_lease_held_elsewhere_disables_writing_until_it_ends(
    make_sim: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(services=40, carriers=10, resources=60)
    db = str(tmp_path / "inventory.db")
    other = Store(db)
    lease = SyncLease(other)
    lease.acquire()
    app = console(sim, db, tmp_path / "console", readonly=False)
    try:
        ended = runs_ended(app)
        async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
            await wait_for(pilot, lambda: app.watching is not None, 10, "the lease to be seen")
            notice = f"Read-only: the sync runs on {plain(lease.host)} (pid {lease.pid})"
            assert notice in widget_text(app.dashboard.query_one("#status"))
            assert any(notice in n.message for n in app._notifications)
            for key in ("b", "u", "c"):
                assert not app.screen.active_bindings[key].enabled
            await pressing_b_is_refused(pilot, app)
            screen = await open_settings(pilot, app)
            assert screen.query_one("#save").disabled
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not (tmp_path / "console" / "config.toml").exists()

            lease.release()  # the other sync ended: settings can be saved again at once
            await wait_for(pilot, lambda: app.watching is None, 10, "the lease's end")
            assert not screen.query_one("#save").disabled
            await pilot.press("escape")
            assert app.sync.next_at is not None  # its own buildup, after the grace
            assert abs(app.sync.next_at - (time.time() + TAKEOVER_GRACE)) < 10
            assert any("has ended" in n.message for n in app._notifications)
            await pilot.press("b")  # and the keys work again
            await ended.wait(pilot, 1, 60, "the buildup")
            result = last_result(ended)
            assert result is not None and result.state == "succeeded"
            assert app.store.count("services") == 40
    finally:
        lease.release()
        other.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_database_that_stops_answering_is_said_and_followed_again(
    make_sim: Callable[..., Any], store_url: str, tmp_path: Path
) -> None:
    import psycopg2
    from pg_fixtures import ADMIN_URL

    sim = make_sim(services=20, carriers=5, resources=30)
    name = store_url.rsplit("/", 1)[1]
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True

    def allow_connections(allowed: bool) -> None:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {allowed}')
            if not allowed:  # and end the ones already open (the console's)
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )

    app = console(sim, store_url, tmp_path / "console")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.dashboard.snapshot is not None, 10, "a first read")
            allow_connections(False)
            await wait_for(pilot, lambda: app.problem is not None, 15, "the failed read")
            status = widget_text(app.dashboard.query_one("#status"))
            assert "cannot read the database" in status
            assert any("Cannot read the database" in n.message for n in app._notifications)
            allow_connections(True)
            await wait_for(pilot, lambda: app.problem is None, 30, "the database again")
            assert "the database can be read again" in sync_log(app)
            assert app.is_running
    finally:
        allow_connections(True)
        admin.close()
        app.store.close()
