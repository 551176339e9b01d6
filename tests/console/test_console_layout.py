"""What the operator sees at once: an emoji with a variation selector keeps its row in line, the
columns share a wide terminal, the search box is usable on a narrow one, and every time is in
one zone, labelled."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import screen_text, wait_for
from test_app_tables import built_app, search, show, view_of
from test_console_burst_keys import settle

from tui_inventory.app.cells import column_widths
from tui_inventory.app.dashboard import SyncLog
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.text import plain


def test_the_emoji_variation_selector_is_dropped_so_every_terminal_measures_alike() -> None:
    assert plain("🛰\ufe0f sat") == "🛰 sat"


async def test_a_name_with_an_emoji_variation_selector_reaches_the_screen_without_it(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    chosen: list[str] = []

    def prepare(sim: Any) -> None:
        key = sim.dataset.items("services")[0]["ExternalId"]
        sim.dataset.set_field("services", key, "Name", "🛰\ufe0f Sat link")
        chosen.append(key)

    app, _ = built_app(make_sim, make_engine, tmp_path, prepare)
    async with app.run_test(size=(120, 30)) as pilot:
        table = await show(pilot, app, "services")
        await search(pilot, table, chosen[0])
        text = screen_text(app)
        assert "🛰 Sat link" in text and "\ufe0f" not in text


def test_at_200_columns_the_name_shares_its_room_with_type_and_site() -> None:
    _key, name, _status, kind, site, _updated = column_widths(198)
    assert name <= 80 and kind >= 30 and site >= 30
    assert sum(column_widths(198)) + 6 == 198  # (every cell has one space before it)


async def test_at_60_columns_the_search_box_has_room(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await show(pilot, app, "services")
        box = view_of(app, "services").query_one("#search")
        assert box.outer_size.width >= 24, box.outer_size  # (14 before)


async def test_the_dashboard_shows_utc_labelled_whatever_the_local_zone(
    make_sim: Callable[..., Simulator],
    make_engine: Callable[..., SyncEngine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30: local and UTC differ by the minutes
    time.tzset()
    try:
        app, _ = built_app(make_sim, make_engine, tmp_path)
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_for(pilot, lambda: app.dashboard.snapshot is not None, 10, "a read")
            await settle(pilot)
            snapshot = app.dashboard.snapshot
            assert snapshot is not None
            last = snapshot.last_sync
            assert last is not None
            utc = f"{last[11:19]} UTC"
            text = screen_text(app)
            assert f"last sync {utc}" in text, text
            border_title = app.main_screen.query_one(SyncLog).border_title
            assert border_title is not None and "times in UTC" in border_title
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
