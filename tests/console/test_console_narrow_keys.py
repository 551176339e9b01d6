"""At 60×20 (tester2 #9, #10): while a sync runs the footer keeps `c Cancel` (over b and u); on
a table `f Filter` and `e Export` are kept before `s Settings`; and a table's keys are shown whole
(the name is cut instead)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import make_app, screen_text, wait_for
from test_app_tables import built_app, show
from test_console_burst_keys import settle
from test_console_hung_upstream import STILL, SilentListener
from test_console_narrow import footer_line

from tui_inventory.app.inventory_table import InventoryTable
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    listener = SilentListener()
    yield listener
    listener.close()


async def test_at_60_by_20_a_sync_keeps_c_cancel_in_the_footer(
    make_sim: Any, tmp_path: Path, silent: SilentListener
) -> None:
    app = make_app(make_sim(**STILL), tmp_path, settings=silent.settings(), autostart=False)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        assert "c Cancel" not in footer_line(screen_text(app))  # nothing to cancel: b, u first
        await pilot.press("b")
        await wait_for(
            pilot,
            lambda: "c Cancel" in footer_line(screen_text(app)),
            5,
            "c Cancel kept",
        )
        await pilot.press("c")


async def test_at_60_by_20_a_table_keeps_filter_export_and_whole_keys(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        for kind in ("carriers", "services"):
            table = await show(pilot, app, kind)

            def has_rows(shown: InventoryTable = table) -> bool:
                return bool(shown.rows)

            await wait_for(pilot, has_rows, 5, "rows")
            await settle(pilot)
            text = screen_text(app)
            footer = footer_line(text)
            for key in ("f Filter", "e Export", "q Quit", "? Help"):
                assert key in footer, f"the table's footer lost {key!r}: {footer!r}"
            for row in [table.rows[i] for i in range(min(5, len(table.rows)))]:
                assert any(row.key in line for line in text.splitlines()), f"{row.key} cut"
