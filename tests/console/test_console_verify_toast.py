"""`v` says at once that a verify runs (tester2 #11): at 60×20 the sync log is off screen and
the report comes only when every page upstream was read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from test_app_tables import built_app
from test_console_burst_keys import settle

from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


async def test_v_says_at_once_that_a_verify_runs(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Verify running") for m in said), said
