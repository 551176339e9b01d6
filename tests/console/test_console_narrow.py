"""At 60×20 the operator still sees each instance's name and updated time (cut with …), the
footer keeps `s Settings`, `? Help` and `q Quit` (others are left out first), and the status
filter's options are never wrapped mid-word."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import screen_text, wait_for
from test_app_tables import built_app, show
from test_console_burst_keys import settle

from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


def footer_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


async def test_at_60_by_20_the_table_keeps_name_and_updated_and_the_footer_its_exits(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        footer = footer_line(screen_text(app))
        for key in ("s Settings", "? Help", "q Quit"):
            assert key in footer, f"the dashboard's footer lost {key!r}: {footer!r}"
        table = await show(pilot, app, "services")
        await wait_for(pilot, lambda: table.rows, 5, "rows")
        await settle(pilot)
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Name" in line)
        assert "Updated" in header, header
        row = next(line for line in text.splitlines() if table.rows[0].key in line)
        name = table.rows[0].name
        assert name[:10] in row, f"the name is cut to nothing: {row!r}"
        assert table.rows[0].updated_at[:10] in row, f"the Updated column is lost: {row!r}"
        footer = footer_line(text)
        for key in ("s Settings", "? Help", "q Quit"):
            assert key in footer, f"the table's footer lost {key!r}: {footer!r}"

        await pilot.press("f")
        await settle(pilot)
        text = screen_text(app)
        assert "Non-Operational (" in text, f"an option wrapped mid-word:\n{text}"
