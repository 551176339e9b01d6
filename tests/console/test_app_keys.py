"""The keys as the operator meets them, driven by Pilot on the real console over a store the real
engine built up from the simulator: the Changes feed moves like the inventory tables (and keeps the
newest in view across an update), the footer ends cleanly on narrow terminals, and the help lists
every key a footer shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import Received, runs_ended, screen_text, wait_for, wait_idle
from test_app_tables import built_app, open_selected, show, view_of
from textual.pilot import Pilot
from textual.widgets import Input, Select
from textual.widgets._footer import FooterKey

from tui_inventory.app.changes import ChangesView
from tui_inventory.app.footer import ConsoleFooter
from tui_inventory.app.help import HelpScreen
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine

ROW = re.compile(r"\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")

# -- the Changes feed -----------------------------------------------------------------------------


async def the_feed(pilot: Pilot[Any], app: InventoryApp) -> ChangesView:
    app.main_screen.show_tab("tab-changes")
    view = app.main_screen.query_one(ChangesView)
    await wait_for(pilot, lambda: view.feed.row_count > 0, 10, "the feed")
    await wait_for(pilot, lambda: app.focused is view.feed, 5, "the feed to have the keys")
    await pilot.pause()
    return view


def selected_key(view: ChangesView) -> str:
    """The instance key of the revision under the feed's cursor."""
    feed = view.feed
    row = feed.coordinate_to_cell_key(feed.cursor_coordinate).row_key.value
    return view.revisions[str(row)].key


def newest_of(view: ChangesView) -> Any:
    return next(iter(view.revisions.values()))


def feed_lines(app: InventoryApp) -> list[str]:
    """The feed's rows as the screen shows them, top to bottom (each begins with its date)."""
    return [line for line in screen_text(app).splitlines() if ROW.match(line)]


async def test_the_changes_feed_moves_with_the_keys_of_the_tables(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await the_feed(pilot, app)
        feed = view.feed
        revisions = list(view.revisions.values())  # newest first
        page = len(feed_lines(app))  # the rows on screen
        assert len(revisions) == feed.row_count > 2 * page
        await pilot.press("j", "j")
        assert feed.cursor_row == 2 and selected_key(view) == revisions[2].key
        await pilot.press("k")
        assert feed.cursor_row == 1
        await pilot.press("G")
        await pilot.pause()
        assert feed.cursor_row == len(revisions) - 1
        assert revisions[-1].key in feed_lines(app)[-1]  # the oldest, at the foot of the screen
        await pilot.press("g")
        await pilot.pause()
        assert feed.cursor_row == 0 and revisions[0].key in feed_lines(app)[0]
        await pilot.press("end")  # the last row, not a scroll sideways
        await pilot.pause()
        assert feed.cursor_row == len(revisions) - 1 and feed.scroll_x == 0
        assert revisions[-1].key in feed_lines(app)[-1]
        assert screen_text(app).count(" When ") == 1  # the first column is still in view
        await pilot.press("home")
        await pilot.pause()
        assert feed.cursor_row == 0 and revisions[0].key in feed_lines(app)[0]
        await pilot.press("pagedown")
        assert feed.cursor_row == page
        await pilot.press("ctrl+u")
        assert feed.cursor_row == page - page // 2


async def update_with_renamed_carriers(
    pilot: Pilot[Any], app: InventoryApp, sim: Any, keys: list[str], ended: Received, runs: int
) -> None:
    for key in keys:
        sim.dataset.set_field("carriers", key, "Name", f"Renamed {key}")
    await pilot.press("u")
    await ended.wait(pilot, runs, 30, "the update")
    await wait_idle(pilot, app)


async def test_the_feed_keeps_the_newest_in_view_or_the_row_the_operator_chose(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, sim = built_app(make_sim, make_engine, tmp_path)
    carriers = sorted(app.store.keys("carriers"))
    ended = runs_ended(app)
    async with app.run_test(size=(100, 30), message_hook=ended) as pilot:
        view = await the_feed(pilot, app)
        feed = view.feed
        assert feed.cursor_row == 0  # on the newest
        # An update while another tab is shown: back on Changes, the cursor is on the newest
        # revision (the update's), which is on screen, not on the row that was newest before.
        await show(pilot, app, "services")
        renamed = carriers[:3]
        await update_with_renamed_carriers(pilot, app, sim, renamed, ended, runs=1)
        view = await the_feed(pilot, app)
        await wait_for(pilot, lambda: newest_of(view).key in renamed, 10, "the update")
        await pilot.pause()
        assert feed.cursor_row == 0 and feed.scroll_y == 0
        newest = newest_of(view)
        assert newest.change == "changed" and selected_key(view) == newest.key
        assert newest.key in feed_lines(app)[0]

        # Moved down, the operator keeps the row they chose, on the same line of the screen.
        await pilot.press(*"jjjjj")
        chosen, line = selected_key(view), feed.cursor_row - round(feed.scroll_y)
        assert chosen in feed_lines(app)[line]
        await update_with_renamed_carriers(pilot, app, sim, carriers[3:5], ended, runs=2)
        await wait_for(pilot, lambda: feed.cursor_row == 5 + 2, 10, "the feed to re-read")
        await pilot.pause()
        assert {r.key for r in list(view.revisions.values())[:2]} == set(carriers[3:5])
        assert selected_key(view) == chosen
        assert chosen in feed_lines(app)[line]


# -- the footer -----------------------------------------------------------------------------------


def footer_line(app: InventoryApp) -> str:
    return screen_text(app).splitlines()[-1]


def footer_labels(app: InventoryApp) -> list[str]:
    """Every key the screen's footer has, shown or left out for room: "key description"."""
    footer = app.screen.query_one(ConsoleFooter)
    return [f"{k.key_display} {k.description}".rstrip() for k in footer.query(FooterKey)]


async def footer_ready(pilot: Pilot[Any], app: InventoryApp) -> None:
    footer = app.screen.query_one(ConsoleFooter)
    await wait_for(pilot, lambda: footer.query(FooterKey), 5, "the footer's keys")
    await pilot.pause()


def assert_ends_cleanly(app: InventoryApp) -> None:
    """The footer is whole keys, then the palette key at the very end: no key is cut, no letter
    of a key left out shows."""
    line = footer_line(app)
    assert len(line) == app.size.width
    assert line.endswith("▏^p palette"), line
    keys = line.rsplit("▏", 1)[0]
    labels = [label for label in footer_labels(app) if not label.startswith("^p")]
    shown = keys.rstrip()
    for label in labels:  # in order: each either whole or left out
        if shown.startswith(label):
            shown = shown[len(label) :].lstrip()
    assert shown == "", f"a cut key in {line!r}: {shown!r}"
    assert "? Help" in keys  # the key to the rest stays


@pytest.mark.parametrize("size", [(80, 24), (60, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_footer_ends_cleanly_at_80_and_60_columns(
    make_sim: Callable[..., Simulator],
    make_engine: Callable[..., SyncEngine],
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=size) as pilot:
        await footer_ready(pilot, app)
        assert_ends_cleanly(app)  # the dashboard
        for kind in ("services", "carriers"):
            await show(pilot, app, kind)
            await footer_ready(pilot, app)
            assert_ends_cleanly(app)
        await the_feed(pilot, app)
        await footer_ready(pilot, app)
        assert_ends_cleanly(app)
        if size == (80, 24):
            assert "⏎ Open" in footer_line(app) and "b Buildup" in footer_line(app)


# -- the help ---------------------------------------------------------------------------------------


async def help_rows(pilot: Pilot[Any], app: InventoryApp) -> list[tuple[list[str], str]]:
    """The help's key rows as shown: (the keys, their meaning)."""
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help")
    await pilot.pause()
    rows = []
    for line in screen_text(app).splitlines():
        inside = line.split("█")
        if len(inside) < 3:
            continue
        parts = re.split(r"\s{2,}", inside[1].strip(), maxsplit=1)
        if len(parts) == 2:
            rows.append((parts[0].split(" "), parts[1]))
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), 5, "the help closed")
    return rows


async def test_the_help_lists_every_key_a_footer_shows(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    footers: dict[str, list[str]] = {}
    async with app.run_test(size=(120, 90)) as pilot:

        async def note(where: str) -> None:
            await footer_ready(pilot, app)
            footers[where] = footer_labels(app)

        await note("dashboard")
        table = await show(pilot, app, "services")
        filter_ = view_of(app, "services").query_one("#status", Select)
        await note("services table")
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await note("search box")
        await pilot.press("escape", "f")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.parent is filter_, 5)
        await note("status filter")
        await pilot.press("escape")
        table.focus()
        await open_selected(pilot, table)
        await note("instance view")
        await pilot.press("escape")
        await the_feed(pilot, app)
        await note("changes feed")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 5, "the settings")
        await note("settings")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "the main screen")
        rows = await help_rows(pilot, app)

    assert {"o", "O", "f", "e"} <= {label.split()[0] for label in footers["services table"]}
    assert "r Reload" in footers["instance view"]
    # / searches the tables: not offered where it would do nothing
    assert "/ Search" in footers["services table"]
    assert "/ Search" not in footers["settings"] and "/ Search" not in footers["instance view"]
    for where, labels in footers.items():
        for label in labels:
            key, _, description = label.partition(" ")
            word = description.lower()
            assert any(key in keys and word in meaning.lower() for keys, meaning in rows), (
                f"{label!r} (footer of the {where}) is not in the help"
            )
