"""Console test helpers: the real app on a real SQLite file, pointed at the simulator on loopback.

Plain helpers (the simulator and the isolated environment are conftest's fixtures): import them
with `from app_fixtures import ...`; and the `pilot_app` fixture (conftest loads this module as a
plugin). Waiting is bounded polling of the app's state through `pilot.pause()`, never a sleep
that races the worker. What the app is told (a run ended, with its result) is observed as the
messages it receives: `Received`, handed to `run_test(message_hook=…)`.
"""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sim_fixtures import sim_config as sim_config  # importable from here too
from textual._context import active_message_pump
from textual.app import App
from textual.message import Message
from textual.pilot import Pilot
from waiting import wait_for_async

from tui_inventory.app.main import InventoryApp
from tui_inventory.app.messages import SyncFinished, SyncRefused
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import RunResult

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


PilotApp = Callable[..., AbstractAsyncContextManager[tuple[InventoryApp, Pilot[Any]]]]


@pytest.fixture
def pilot_app(make_sim: Callable[..., Any], tmp_path: Path) -> PilotApp:
    """The console started with `run_test`, on a fresh SQLite file in `tmp_path`:

        async with pilot_app(size=(80, 24), sim=None, autostart=False, ...) as (app, pilot):

    `sim` defaults to a SMALL simulator; the other keywords go to `make_app`."""

    @asynccontextmanager
    async def start(
        *, size: tuple[int, int] = (80, 24), sim: Simulator | None = None, **kw: Any
    ) -> AsyncIterator[tuple[InventoryApp, Pilot[Any]]]:
        app = make_app(sim if sim is not None else make_sim(**SMALL), tmp_path, **kw)
        async with app.run_test(size=size) as pilot:
            yield app, pilot

    return start


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 30.0, what: str = ""
) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    await wait_for_async(
        condition, timeout, what or str(condition), pause=lambda: pilot.pause(0.02)
    )


class Received:
    """The messages of `types` the app received, in order: hand it to `app.run_test(message_hook=…)`.

    A message bubbles from the widget that posted it up to the app, and the hook sees it at each
    step; it is recorded once, as the app gets it, just before the app's handler runs.
    """

    def __init__(self, app: App[Any], *types: type[Message]) -> None:
        self.app = app
        self.types = types
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, self.types) and active_message_pump.get(None) is self.app:
            self.messages.append(message)

    def __len__(self) -> int:
        return len(self.messages)

    async def wait(
        self, pilot: Pilot[Any], count: int = 1, timeout: float = 30.0, what: str = ""
    ) -> None:
        """Let the app run until it has received `count` of them; fail after `timeout` s."""
        names = " or ".join(t.__name__ for t in self.types)
        await wait_for(pilot, lambda: len(self) >= count, timeout, what or f"{count} {names}")


def runs_ended(app: InventoryApp) -> Received:
    """The runs that ended (finished, or refused before they could start), as the app hears."""
    return Received(app, SyncFinished, SyncRefused)


def last_result(runs: Received) -> RunResult | None:
    """The result of the last run that finished, of those `runs` recorded."""
    finished = [m.result for m in runs.messages if isinstance(m, SyncFinished)]
    return finished[-1] if finished else None


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
