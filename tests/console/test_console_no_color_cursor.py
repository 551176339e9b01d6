"""With NO_COLOR (colours turned to greys) a table's selected row is reversed, not drawn like the
header (bold on grey: on the first row it read as a second header line): the inventory tables and
the Changes feed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.style import Style
from test_app_keys import the_feed
from test_app_tables import built_app, settled, show
from textual.strip import Strip
from textual.widget import Widget

from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


def looks(strip: Strip) -> set[tuple[bool, bool, bool, bool]]:
    """What tells a line apart without colour: bold, reverse, underline, italic, per segment."""
    styles = [seg.style or Style() for seg in strip if seg.text.strip()]
    return {(bool(s.bold), bool(s.reverse), bool(s.underline), bool(s.italic)) for s in styles}


def assert_cursor_row_unlike_header(table: Widget, cursor_y: int) -> None:
    header, cursor = looks(table.render_line(0)), looks(table.render_line(cursor_y))
    assert header and cursor
    assert not header & cursor, (header, cursor)
    assert all(reverse for _, reverse, _, _ in cursor), cursor


async def test_the_selected_row_is_reversed_without_colour(
    make_sim: Callable[..., Simulator],
    make_engine: Callable[..., SyncEngine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.no_color
        table = await show(pilot, app, "services")
        await settled(pilot, table)
        assert table.cursor == 0 and table.has_focus
        assert_cursor_row_unlike_header(table, 1)  # (the first row, under the header)
        view = await the_feed(pilot, app)
        assert view.feed.cursor_row == 0
        assert_cursor_row_unlike_header(view.feed, 1)
