"""The dashboard's pictures (SPEC §12): the rate of the running sync and each inventory's size over
its last runs, drawn as sparklines with their figures, at 80×24, in 16 colours and without colour."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import SMALL, make_app, runs_ended, screen_text, sim_config, wait_for, wait_idle
from daemon_fixtures import DaemonProcess
from textual.widgets import Sparkline

from tui_inventory import KINDS
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.trends import RateHistory, compact
from tui_inventory.simulator import Simulator
from tui_inventory.store.trends import size_points

BARS = "▁▂▃▄▅▆▇█"


def test_the_rate_line_takes_one_point_per_window_and_the_last_seconds_at_the_end() -> None:
    rate = RateHistory(window=1.0)
    assert not rate.add(0.5, 50)  # less than a window: no point yet
    assert rate.add(1.0, 100)
    assert list(rate.points) == [100.0]
    assert rate.add(3.0, 200)
    assert list(rate.points) == [100.0, 50.0]
    assert rate.flush(3.5, 300)  # the type ended half a second later
    assert list(rate.points) == [100.0, 50.0, 200.0]
    assert not rate.flush(3.5, 300)
    assert not rate.add(0.5, 10)  # another type run began: the line starts again
    assert list(rate.points) == []


def test_the_size_line_undoes_each_run_from_the_count_now() -> None:
    assert size_points(120, []) == []
    assert size_points(120, [(120, 0)]) == [0, 120]  # after a first buildup
    # Newest first: an update that removed 18, then one that created 5 and removed 2.
    assert size_points(105, [(5, 2), (0, 18), (120, 0)]) == [0, 120, 102, 105]


def test_large_figures_stay_short() -> None:
    assert [compact(n) for n in (987, 12_345, 123_456, 1_234_567)] == [
        "987",
        "12.3k",
        "123k",
        "1.2M",
    ]


def _row(text: str, label: str, value: str) -> re.Match[str] | None:
    return re.search(rf"{label} ([{BARS}]+) +{re.escape(value)}\b", text)


@pytest.mark.parametrize("colours", ["ansi", "NO_COLOR"])
async def test_the_dashboard_draws_the_rate_and_the_sizes_at_80x24(
    make_sim: Callable[..., Simulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    colours: str,
) -> None:
    if colours == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    sim = make_sim(**SMALL, latency_ms=40)
    settings = {"sync.records_per_page": 5, "sync.page_concurrency": 1}
    app = make_app(sim, tmp_path, settings=settings, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        if colours == "ansi":
            app.theme = "ansi-dark"  # what a 16-colour terminal gets
        await pilot.pause()
        trends = {kind: app.dashboard.panel(kind).trends for kind in KINDS}
        assert all(not t.rate.points and not t.sizes for t in trends.values())
        assert "rate" not in screen_text(app)  # nothing to draw before any sync

        await pilot.press("b")
        resources = trends["resources"]
        # While the buildup runs, the line of its rate grows point by point.
        await wait_for(
            pilot,
            lambda: app.sync.running and len(resources.rate.points) >= 1,
            60,
            "a point of the resources' rate while the buildup runs",
        )
        await pilot.pause()
        assert _row(screen_text(app), "rate", f"{compact(resources.rate.points[-1])}/s")

        await wait_idle(pilot, app)
        counts = app.store.counts()
        text = screen_text(app)
        for kind in KINDS:
            t = trends[kind]
            assert t.rate.points and all(p > 0 for p in t.rate.points), kind
            rate_line = t.query_one(f"#rate-{kind}", Sparkline)
            assert list(rate_line.data or []) == list(t.rate.points)
            assert t.sizes == [0, counts[kind]]
            assert _row(text, "size", compact(counts[kind])), (kind, text)
        assert len(re.findall(rf"rate [{BARS}]+ +\d+/s", text)) == 3  # every panel, on screen

        # The update's cleanup removes the services that are not Operational: a third point,
        # lower than the second.
        assert app.store.count_non_operational() > 0
        await pilot.press("u")
        await ended.wait(pilot, 2, 60, "the update")
        await wait_idle(pilot, app)
        services = app.store.count("services")
        assert trends["services"].sizes == [0, counts["services"], services]
        assert services < counts["services"]
        assert _row(screen_text(app), "size", compact(services))


async def test_a_read_only_console_draws_the_rate_of_a_sync_elsewhere(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    """The daemon builds up; a `--readonly` console reads its progress from the store and draws
    the rate line from those reads, then the size line once the buildup ended."""
    sim = make_sim(**SMALL, latency_ms=150)
    db = str(tmp_path / "inventory.db")
    cfg = sim_config(sim, tmp_path / "console")
    app = InventoryApp(cfg, db, passwords=sim.passwords.get, readonly=True)
    daemon: DaemonProcess | None = None
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            settings: dict[str, Any] = {"sync.records_per_page": 5, "sync.page_concurrency": 1}
            daemon = DaemonProcess(sim, db, tmp_path / "daemon", **settings)
            services = app.dashboard.panel("services").trends
            await wait_for(
                pilot, lambda: len(services.rate.points) >= 2, 60, "the rate of the sync elsewhere"
            )
            assert not app.sync.running  # drawn from the store's reads, not a sync of its own
            assert any(p > 0 for p in services.rate.points)  # a window with no page reads 0
            sim.latency_ms = 0
            daemon.wait_for_event("run_finished", timeout=120)
            count = app.store.count("services")
            await wait_for(
                pilot, lambda: services.sizes == [0, count], 30, "the size after the buildup"
            )
            assert _row(screen_text(app), "size", compact(count))
    finally:
        if daemon is not None:
            daemon.kill()
        app.store.close()
