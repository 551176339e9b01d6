"""The Changes feed fits its names to the terminal: a name too long for its column ends with `…`
and the row ends inside the screen, at 80 columns as at 200."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from app_fixtures import screen_text, wait_for
from test_app_keys import feed_lines, the_feed
from test_app_tables import built_app
from test_console_burst_keys import settle

from tui_inventory.app.filters import FilterSelect
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


@pytest.mark.parametrize("width", [80, 200])
async def test_names_in_the_changes_feed_are_cut_with_an_ellipsis(
    make_sim: Callable[..., Simulator],
    make_engine: Callable[..., SyncEngine],
    tmp_path: Path,
    width: int,
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(width, 30)) as pilot:
        view = await the_feed(pilot, app)
        rows = feed_lines(app)
        assert rows, screen_text(app)
        shown = list(view.revisions.values())[: len(rows)]
        for line, rev in zip(rows, shown, strict=False):
            name = rev.name or ""
            if name and name not in line:  # cut: what is shown ends with …
                cut = line.split(rev.key[:8], 1)[-1]
                assert "…" in cut, line
        assert "When (UTC)" in screen_text(app)
        if width == 80:
            assert any("…" in line for line in rows), rows


async def test_names_are_cut_with_an_ellipsis_once_an_inventory_is_chosen(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    """The feed's columns are laid out anew for the rows shown: the keys of all inventories were
    wider, and kept the Name column running off the screen, cut there without `…`."""
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await the_feed(pilot, app)
        await pilot.press("f")
        await wait_for(pilot, lambda: view.query_one("#changes-kind", FilterSelect).expanded)
        await pilot.press("down", "enter")  # (from "All inventories") Services
        await wait_for(pilot, lambda: {r.kind for r in view.revisions.values()} == {"services"})
        await settle(pilot)
        rows = feed_lines(app)
        assert rows, screen_text(app)
        shown = list(view.revisions.values())[: len(rows)]
        cut = 0
        for line, rev in zip(rows, shown, strict=True):
            assert rev.key in line, line
            name = line.split(rev.key, 1)[1].strip().split("  ")[0]  # (not the scrollbar)
            if name != rev.name:
                cut += 1
                assert name.endswith("…") and rev.name.startswith(name[:-1]), (line, rev.name)
        assert cut, rows  # (the simulator's long names)
