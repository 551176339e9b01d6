"""The screenshots' scenes (`scenes.py`, which `scripts/screenshots.py` draws) as SVG snapshots:
a test fails when the console's look changes. When the change is meant, look at the report
(snapshot_report.html) and take the new look with
`pytest --snapshot-update tests/console/test_snapshots.py`.

A snapshot must not differ from run to run, so what varies is fixed: the terminal's size, the
data (the simulator is seeded), the wall clock (every stored and shown time is FROZEN) and the
engine's clock (a second a reading: rates and ETAs are the same each time). Each scene waits for
what it shows; toasts are cleared before the picture.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import keyring.core
import pytest
from keyring_backends import TestBackend
from scenes import SHOTS, Shot

from tui_inventory import times
from tui_inventory.app import dashboard, main, worker
from tui_inventory.app.panel import Figures
from tui_inventory.app.trends import RateHistory
from tui_inventory.secrets import EVENTS_TOKEN_ENV
from tui_inventory.store import changes
from tui_inventory.sync import engine, engine_base

SMALL = (80, 24)
LARGE = (120, 36)
DATA = {"services": 150, "carriers": 50, "resources": 300, "seed": 7}  # whole pages of 50
RATE = 50  # items a second, every run
FROZEN = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)


class FrozenDatetime(datetime):
    """`datetime` whose now() is FROZEN."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        return FROZEN.astimezone(tz) if tz is not None else FROZEN.replace(tzinfo=None)


class FrozenTime:
    """The `time` module as the console reads it for wall-clock times: time() is FROZEN (the next
    sync's time, a last sync's age); the monotonic clock runs."""

    def time(self) -> float:
        return FROZEN.timestamp()

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class StepClock:
    """The `time` module as the engine reads it, but its monotonic clock goes one second per
    reading: what it logs it took ("built in 1.0 s") is the same each time."""

    def __init__(self) -> None:
        self._now = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            self._now += 1.0
            return self._now

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class MemoryKeyring(TestBackend):
    """A keyring that works, in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


def one_point(history: RateHistory, elapsed: float, received: int, window: Any = None) -> bool:
    if history.points:
        return False
    history.points.append(float(RATE))
    return True


@pytest.fixture(autouse=True)
def _still(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(times, "datetime", FrozenDatetime)
    monkeypatch.setattr(changes, "datetime", FrozenDatetime)
    monkeypatch.setattr(dashboard, "datetime", FrozenDatetime)
    monkeypatch.setattr(main, "time", FrozenTime())
    monkeypatch.setattr(worker, "time", FrozenTime())
    monkeypatch.setattr(engine, "time", StepClock())
    # A run's rate (and so its ETA) as if it received RATE items a second. Its rate line is one
    # point of RATE: how many points a run draws depends on how its pages were batched into
    # writes, and on whether its start and end (the engine's thread) reach the console before or
    # after its pages (the writer's thread), which clear and close the line.
    monkeypatch.setattr(Figures, "rate", property(lambda f: float(RATE if f.received else 0)))
    monkeypatch.setattr(RateHistory, "add", one_point)
    monkeypatch.setattr(RateHistory, "reset", lambda h: None)
    monkeypatch.setattr(RateHistory, "flush", lambda h, elapsed, received: False)
    # A buildup stores its pages in a child process, which these clocks would not reach.
    monkeypatch.setattr(engine_base, "store_process_available", lambda: False)
    # The keyring is the same everywhere: one that works and holds nothing yet.
    monkeypatch.setattr(keyring.core, "_keyring_backend", MemoryKeyring())
    monkeypatch.setenv(EVENTS_TOKEN_ENV, "snapshot-token")
    for name in ("NO_COLOR", "FORCE_COLOR", "TEXTUAL_THEME", "COLORTERM"):
        monkeypatch.delenv(name, raising=False)


def check(
    snap_compare: Callable[..., bool],
    make_sim: Callable[..., Any],
    tmp_path: Path,
    shot: Shot,
    size: tuple[int, int],
) -> bool:
    sim = make_sim(**DATA)
    app = shot.app(sim, tmp_path)
    export = app.export_screenshot
    address = f"127.0.0.1:{sim.port}"  # the simulator's port, another each time (same width)
    fixed = f"127.0.0.1:{'5' * len(str(sim.port))}"

    def masked(**kw: Any) -> str:
        return export(**kw).replace(address, fixed)

    setattr(app, "export_screenshot", masked)  # noqa: B010
    return snap_compare(app, terminal_size=size, run_before=lambda pilot: shot.run(pilot, sim))


@pytest.mark.parametrize("name", list(SHOTS))
def test_each_scene_looks_as_before_at_80x24(
    name: str, snap_compare: Callable[..., bool], make_sim: Callable[..., Any], tmp_path: Path
) -> None:
    assert check(snap_compare, make_sim, tmp_path, SHOTS[name], SMALL)


@pytest.mark.parametrize("name", ["dashboard-buildup", "table-search", "events-changes"])
def test_the_wide_scenes_look_as_before_at_120x36(
    name: str, snap_compare: Callable[..., bool], make_sim: Callable[..., Any], tmp_path: Path
) -> None:
    assert check(snap_compare, make_sim, tmp_path, SHOTS[name], LARGE)
