"""Console test helpers: the real app on a real SQLite file, pointed at the simulator on loopback.

Plain helpers (the simulator and the isolated environment are conftest's fixtures): import them
with `from app_fixtures import ...`. Waiting is bounded polling of the app's state through
`pilot.pause()`, never a sleep that races the worker.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from sim_fixtures import sim_config as sim_config  # importable from here too
from textual.pilot import Pilot
from waiting import wait_for_async

from tui_inventory.app.main import InventoryApp
from tui_inventory.simulator import Simulator

SMALL = {"services": 120, "carriers": 40, "resources": 300, "seed": 7}  # for `make_sim(**SMALL)`


def make_app(
    sim: Simulator,
    tmp_path: Path,
    *,
    dialect: str = "ses",
    settings: dict[str, Any] | None = None,
    passwords: Callable[[str], str | None] | None = None,
    app_class: type[InventoryApp] = InventoryApp,
    **kw: Any,
) -> InventoryApp:
    """The console on a fresh SQLite file in `tmp_path`, configured for `sim`."""
    cfg = sim_config(sim, tmp_path, dialect, **(settings or {}))
    return app_class(
        cfg,
        str(tmp_path / "inventory.db"),
        passwords=passwords or sim.passwords.get,
        **kw,
    )


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 30.0, what: str = ""
) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    await wait_for_async(
        condition, timeout, what or str(condition), pause=lambda: pilot.pause(0.02)
    )


async def wait_idle(pilot: Pilot[Any], app: InventoryApp, timeout: float = 60.0) -> None:
    """Until no sync runs and the dashboard has read the store after it."""
    await wait_for(pilot, lambda: not app.sync.running, timeout, "the sync to end")
    asked = time.monotonic()
    app.refresh_data(now=True)
    await wait_for(
        pilot,
        lambda: app.dashboard.snapshot is not None and app.dashboard.snapshot.requested >= asked,
        timeout,
        "the dashboard to read the store",
    )
    await pilot.pause()


def screen_text(app: InventoryApp) -> str:
    """The current screen as plain text (what a terminal of `app.size` would show)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()
