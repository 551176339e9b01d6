"""The Changes tab as a new operator meets it at 80×24 and 60×20: the bar above the feed (two
filters, the since/until boxes, the count) fits on its line, nothing wrapped or lost, and the
time boxes are reachable from the keyboard (tab changes tabs, so they need keys of their own)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import SMALL, make_app, screen_text, wait_for
from textual.widgets import Input

from tui_inventory.app.changes import ChangesView
from tui_inventory.store.repo import Store


def _bar(text: str) -> list[str]:
    """The bar's three lines: those between the tabs' rule and the feed's header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "━" in line) + 1
    return lines[start : start + 3]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_changes_bar_fits_its_line(
    size: tuple[int, int],
    make_sim: Callable[..., Any],
    make_engine: Callable[..., Any],
    tmp_path: Path,
) -> None:
    sim = make_sim(**SMALL)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=size) as pilot:
        app.main_screen.show_tab("tab-changes")
        changes = app.main_screen.query_one(ChangesView)
        await wait_for(pilot, lambda: changes.revisions, 10, "the feed")
        await wait_for(pilot, lambda: "latest" in screen_text(app), 5, "the count")
        _top, middle, bottom = _bar(screen_text(app))
        # Each control's label on its middle line, none wrapped onto the line below.
        assert middle.count("All") == 2, middle
        for label in ("since", "until", "latest 300"):
            assert label in middle, (label, middle)
        assert "inventories" not in bottom and "300" not in bottom, bottom
        if size[0] >= 80:
            assert "All inventories" in middle and "All changes" in middle, middle


async def test_t_and_shift_t_type_the_time_window_and_esc_gives_the_keys_back(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.main_screen.show_tab("tab-changes")
        changes = app.main_screen.query_one(ChangesView)
        await wait_for(pilot, lambda: changes.revisions, 10, "the feed")
        since = changes.query_one("#changes-since", Input)
        until = changes.query_one("#changes-until", Input)
        await pilot.press("t", *"1d", "enter")
        assert since.value == "1d"
        assert app.focused is changes.feed  # enter applied it and gave the keys back
        await pilot.press("T", *"1h", "escape")  # esc drops what was typed
        assert until.value == ""
        assert app.focused is changes.feed
        await pilot.press("T", *"1h", "enter")
        assert until.value == "1h"
        assert app.focused is changes.feed
        await wait_for(pilot, lambda: not changes.revisions, 10, "the window applied")
        assert app.main_screen.tabs.active == "tab-changes"
