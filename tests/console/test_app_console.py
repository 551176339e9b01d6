"""The console driven by Pilot: buildup, cancel, responsiveness, held cleanups, crash reports,
hostile text and the main screens at 80×24 and 160×48. The upstream is the simulator on loopback;
the store is a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from app_fixtures import (
    SMALL,
    PilotApp,
    last_result,
    make_app,
    runs_ended,
    screen_text,
    wait_for,
    wait_idle,
)
from textual.binding import Binding
from textual.widgets import Input

from tui_inventory.app.confirm import ConfirmDialog
from tui_inventory.app.dashboard import SyncLog
from tui_inventory.app.help import HelpScreen
from tui_inventory.app.inventory import InventoryView
from tui_inventory.app.main import InventoryApp, sixteen_colours
from tui_inventory.app.messages import SyncEvent, SyncRefused
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.simulator import Simulator
from tui_inventory.sync import events as ev

SIZES = [(80, 24), (160, 48)]


def stored(app: InventoryApp) -> dict[str, int]:
    snapshot = app.dashboard.snapshot
    assert snapshot is not None
    return snapshot.counts


async def test_first_start_on_an_empty_store_builds_up(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await ended.wait(pilot, 1, what="the automatic buildup")
        await wait_idle(pilot, app)
        result = last_result(ended)
        assert result is not None and result.mode == "buildup"
        assert app.store.has_completed_buildup()
        assert app.sync.next_at is not None  # the periodic update is scheduled
        assert "next sync at" in screen_text(app)


async def test_b_drives_a_buildup_to_completion_with_the_counts_shown(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await pilot.pause()
        assert not app.sync.running
        await pilot.press("b")
        await ended.wait(pilot, 1, what="the buildup to end")
        await wait_idle(pilot, app)
        counts = app.store.counts()
        assert counts["services"] == 120 and counts["carriers"] == 40
        assert 0 < counts["resources"] < 300  # excluded resource types are dropped
        text = screen_text(app)
        for kind, n in counts.items():
            assert f"{n} stored" in text, (kind, text)
        assert text.count(", buildup succeeded") == 3
        assert "Sync log" in text and "INFO" in text


async def test_the_sync_log_shows_each_line_of_a_run_once(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    """Lines come as the engine's events while the run goes on and are read back from the store
    afterwards (for consoles that did not run it): whatever the timing, each is shown once."""
    sim = make_sim(**SMALL, null_keys=1)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(120, 40), message_hook=ended) as pilot:
        for runs in (1, 2):
            await pilot.press("b")
            await ended.wait(pilot, runs, what="the buildup")
            for _ in range(3):  # the dashboard reads the store again, more than once
                await wait_idle(pilot, app)
        shown = " ".join(
            " ".join(line.text.split()) for line in app.dashboard.query_one(SyncLog).lines
        )
        written = [" ".join(e["message"].split()) for e in app.store.log_entries(limit=1000)]
        assert shown.count("INFO buildup succeeded") == 2, shown
        for message in set(written):  # (a long line wraps: compared with the spaces collapsed)
            assert shown.count(message) == written.count(message), (message, shown)


async def test_c_cancels_a_running_buildup_and_no_cleanup_follows(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(
        sim,
        tmp_path,
        autostart=False,
        settings={"sync.records_per_page": 10, "sync.page_concurrency": 1},
    )
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await pilot.press("b")
        await ended.wait(pilot, 1)
        await wait_idle(pilot, app)
        before = app.store.counts()
        # Upstream loses some carriers and resources: a completed buildup would remove them.
        for kind in ("carriers", "resources"):
            for key in sorted(app.store.keys(kind))[:3]:
                sim.dataset.remove(kind, key)
        sim.latency_ms = 150
        await pilot.press("b")
        panel = app.dashboard.panel("carriers")
        await wait_for(pilot, lambda: panel.live == "building" and panel.progress, 30, "carriers")
        await pilot.press("c")
        await wait_idle(pilot, app)
        assert app.store.counts() == before
        assert app.store.buildup("carriers") is not None  # resumable, not cleaned up
        runs = app.store.runs(1)
        assert runs[0]["state"] == "cancelled"
        text = screen_text(app)
        assert "cancelled" in text


async def test_keys_get_an_answer_while_a_buildup_runs(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL, latency_ms=200)
    app = make_app(
        sim,
        tmp_path,
        autostart=False,
        settings={"sync.records_per_page": 10, "sync.page_concurrency": 1},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: app.dashboard.panel("services").progress, what="a page")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help screen")
        assert app.sync.running  # the screen answered before the buildup ended
        assert "Log file" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "back to the dashboard")
        await pilot.press("tab")
        assert app.main_screen.tabs.active == "tab-services"
        assert app.sync.running
        await pilot.press("c")
        await wait_idle(pilot, app)


async def test_a_held_back_cleanup_is_confirmed_from_the_dashboard(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await pilot.press("b")
        await ended.wait(pilot, 1)
        await wait_idle(pilot, app)
        gone = sorted(app.store.keys("carriers"))[:30]
        for key in gone:
            sim.dataset.remove("carriers", key)
        await pilot.press("b")
        await ended.wait(pilot, 2)
        await wait_idle(pilot, app)
        assert app.store.count("carriers") == 40  # held back: 30 of 40 is more than half
        assert "carriers" in app.held
        assert "cleanup held back" in screen_text(app)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5, "the dialog")
        assert "30 of the 40" in screen_text(app)
        await pilot.click("#remove")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5)
        await wait_for(pilot, lambda: not app.held, 30, "the cleanup to run")
        assert app.store.count("carriers") == 10
        assert not set(gone) & app.store.keys("carriers")


async def test_a_held_back_cleanup_can_be_kept(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await pilot.press("b")
        await ended.wait(pilot, 1)
        await wait_idle(pilot, app)
        for key in sorted(app.store.keys("carriers"))[:30]:
            sim.dataset.remove("carriers", key)
        await pilot.press("b")
        await ended.wait(pilot, 2)
        await wait_idle(pilot, app)
        await pilot.click("#review-carriers")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5)
        await pilot.click("#keep")
        await wait_for(pilot, lambda: not app.held, 30, "the cleanup to be discarded")
        assert app.store.count("carriers") == 40


async def test_a_readonly_console_never_syncs(pilot_app: PilotApp) -> None:
    async with pilot_app(readonly=True) as (app, pilot):
        await pilot.pause()
        await pilot.press("b")
        await pilot.press("u")
        await pilot.pause()
        assert not app.sync.running
        assert "Read-only console" in screen_text(app)
        assert app.sync.next_at is None
        assert any("read-only" in n.message for n in app._notifications)


async def test_hostile_text_in_the_sync_log_is_shown_literally(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    hostile = "[@click=app.quit]x[/] [bold]B[/bold] \x1b]0;title\x07\x1b[2J \x9b31m ok"
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.main_screen.sync.post_message(SyncEvent(ev.Logged(1, "error", "carriers", hostile)))
        await wait_for(pilot, lambda: "[bold]B[/bold]" in screen_text(app), 5, "the line")
        text = screen_text(app)
        assert "[@click=app.quit]x[/]" in text
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
        assert "ERROR" in text
        await pilot.click("#sync-log")
        await pilot.pause()
        assert app.is_running  # the click on the "link" did not quit
        # A refusal's sentence (it may quote the upstream) reaches a notification literally.
        app.main_screen.sync.post_message(SyncRefused("Upstream", "[b]bad[/b] \x1b[2J page"))
        await wait_for(pilot, lambda: "[b]bad[/b]" in screen_text(app), 5, "the notification")
        assert "\x1b" not in screen_text(app)


class Crashing(InventoryApp):
    BINDINGS = [*InventoryApp.BINDINGS, Binding("z", "crash", "Crash")]

    def action_crash(self) -> None:
        password = self._passwords("tmf638")  # a secret in a local of the crashing frame
        raise RuntimeError(f"a bug, {len(password or '')} characters later")


async def test_a_crash_report_shows_no_secret(
    make_sim: Callable[..., Simulator], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = make_sim(**SMALL)
    secret = sim.passwords["tmf638"]
    app = make_app(sim, tmp_path, autostart=False, app_class=Crashing)
    with pytest.raises(RuntimeError, match="a bug"):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("z")
            await pilot.pause()
    report = capsys.readouterr().err
    assert "RuntimeError: a bug" in report
    assert "action_crash" in report  # a real traceback...
    assert secret not in report  # ...without the locals that held the password


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_main_screens_render_at_80x24_and_160x48(
    make_sim: Callable[..., Simulator], tmp_path: Path, size: tuple[int, int]
) -> None:
    sim = make_sim(**SMALL, latency_ms=100)
    app = make_app(
        sim,
        tmp_path,
        dialect="tmf630",
        autostart=False,
        settings={"sync.records_per_page": 10, "sync.page_concurrency": 1},
    )
    shots = tmp_path / "shots"
    shots.mkdir()
    async with app.run_test(size=size) as pilot:
        await pilot.press("b")
        panel = app.dashboard.panel("services")
        await wait_for(pilot, lambda: "%" in panel.progress, 30, "progress with a percentage")
        await pilot.pause()
        text = screen_text(app)
        svg = app.export_screenshot()
        (shots / "dashboard.svg").write_text(svg)
        for expected in ("Dashboard", "Services", "Carriers", "Resources", "building", "page"):
            assert expected in text, expected
        assert "Buildup running" in text
        assert "b Buildup" in text and "q Quit" in text  # the footer's keys are all there
        assert "Services" in svg and "Buildup" in svg
        await pilot.press("c")
        await wait_idle(pilot, app)
        assert "Sync log" in screen_text(app)

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5)
        text = screen_text(app)
        assert "Buildup — page through" in text and "Log file" in text
        await pilot.press("escape")

        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 5)
        await pilot.pause()
        text = screen_text(app)
        assert "Settings" in text and "tmf638.url" in text and "Save" in text
        (shots / "settings.svg").write_text(app.export_screenshot())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5)

        await pilot.press("tab")
        await wait_for(pilot, lambda: "SVC-" in screen_text(app), 10, "the services table")
        (shots / "services.svg").write_text(app.export_screenshot())
        for _ in range(3):
            await pilot.press("tab")
            await pilot.pause()
            assert "Traceback" not in screen_text(app)  # every tab renders
        assert app.main_screen.tabs.active == "tab-changes"
        await wait_for(pilot, lambda: "created" in screen_text(app), 10, "the changes feed")


async def test_the_command_palette_offers_the_console_commands(pilot_app: PilotApp) -> None:
    async with pilot_app(autostart=False) as (app, pilot):
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Buildup", "Update", "Cancel", "Search", "Settings", "Help", "Verify"} <= titles


async def test_demo_mode_says_so_and_a_scheduled_update_brings_upstream_changes(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL, changes_per_poll=12)
    app = make_app(sim, tmp_path, demo=sim)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await ended.wait(pilot, 1, what="the automatic buildup")
        assert "DEMO" in app.title and sim.base_url in app.sub_title
        assert app.sync.next_at is not None
        app.sync.schedule(0.05)  # the periodic update, without waiting an hour
        await ended.wait(pilot, 2, what="the scheduled update")
        await wait_idle(pilot, app)
        result = last_result(ended)
        assert result is not None and result.mode == "update"
        changed = sum(t.counters.created + t.counters.updated for t in result.types.values())
        assert changed > 0  # the simulator ticked before the update
        assert app.sync.next_at is not None  # and the next one is planned
        assert "DEMO" in screen_text(app)


async def test_slash_on_the_dashboard_goes_to_the_services_table(pilot_app: PilotApp) -> None:
    async with pilot_app(autostart=False) as (app, pilot):
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert app.main_screen.tabs.active == "tab-services"
        view = app.main_screen.query_one(InventoryView)
        if hasattr(view, "focus_search"):  # the table's search box has the keys now
            assert isinstance(app.focused, Input)
        await pilot.press("shift+tab")
        assert app.main_screen.tabs.active == "tab-dashboard"


def test_sixteen_colour_terminals_are_recognised() -> None:
    assert sixteen_colours({"TERM": "screen"})
    assert sixteen_colours({"TERM": "xterm"})
    assert not sixteen_colours({"TERM": "xterm-256color"})
    assert not sixteen_colours({"TERM": "xterm", "COLORTERM": "truecolor"})
    assert not sixteen_colours({})


@pytest.mark.parametrize("no_color", [False, True], ids=["ansi-theme", "NO_COLOR"])
async def test_the_16_colour_theme_and_no_color_render(
    make_sim: Callable[..., Simulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_color: bool,
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        if not no_color:
            app.theme = "ansi-dark"
        await ended.wait(pilot, 1, what="the buildup")
        await wait_idle(pilot, app)
        assert app.no_color is no_color  # Textual itself honours NO_COLOR (monochrome output)
        text = screen_text(app)
        assert "idle" in text and "INFO" in text  # states and severities are words, not colours


async def test_quitting_during_a_buildup_stops_it_after_the_current_page(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL, latency_ms=200)
    app = make_app(sim, tmp_path, settings={"sync.records_per_page": 5, "sync.page_concurrency": 1})
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.dashboard.panel("services")
        await wait_for(pilot, lambda: panel.progress, what="the automatic buildup's first page")
        await pilot.press("q", "q")  # (the second answers "Quit while a buildup runs?")
    assert app.sync.wait_idle(10)  # what run_console waits for before closing the store
    run = app.store.runs(1)[0]
    assert run["state"] == "cancelled"
    assert app.store.buildup("services") is not None  # the next start resumes it
    assert app.store.count("services") < 120
