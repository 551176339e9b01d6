"""The Changes feed fits its names to the terminal: a name too long for its column ends with `…`
and the row ends inside the screen, at 80 columns as at 200."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from app_fixtures import screen_text
from test_app_keys import feed_lines, the_feed
from test_app_tables import built_app

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
