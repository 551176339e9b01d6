"""A table of 200,000 instances behaves like a small one: it opens, jumps to its last row and to
its middle, searches and opens an instance (correctness, not timing: see benchmarks/)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import screen_text, wait_for
from cli_fixtures import ROOT
from textual.pilot import Pilot
from textual.widgets import Input

from tui_inventory.app.instance import InstanceScreen
from tui_inventory.app.inventory import InventoryTable, InventoryView
from tui_inventory.app.main import InventoryApp
from tui_inventory.config import Config
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import TableQuery

sys.path.insert(0, str(ROOT / "benchmarks"))  # as the benchmarks import it (one module name)
from loader import load

N = 200_000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite file with N resources (and a few services), built once for the module."""
    path = tmp_path_factory.mktemp("big") / "inventory.db"
    with Store(str(path)) as store:
        load(store, "resources", N)
        load(store, "services", 1000)
    yield str(path)


async def settled(pilot: Pilot[Any], table: InventoryTable) -> None:
    def ready() -> bool:
        end = min(table.total, table.top + table.visible_rows)
        return not table.pending and all(p in table.rows for p in range(table.top, end))

    await wait_for(pilot, ready, 30, "the table to show its rows")
    await pilot.pause()


def shown(table: InventoryTable) -> list[str]:
    end = min(table.total, table.top + table.visible_rows)
    return [table.rows[p].key for p in range(table.top, end)]


async def test_a_table_of_200000_opens_jumps_searches_and_opens_an_instance(
    big_store: str, tmp_path: Path
) -> None:
    with Store(big_store) as store:
        target = store.get("resources", "RES-00123456")
    assert target is not None
    serial = target.fields["Resource Characteristics"]["serialNumber"]
    config = Config(path=tmp_path / "config.toml")
    app = InventoryApp(config, big_store, passwords=lambda api: None, autostart=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.main_screen.show_tab("tab-resources")
        view = next(v for v in app.main_screen.query(InventoryView) if v.kind == "resources")
        table = view.table
        await settled(pilot, table)
        assert table.total == N
        assert shown(table)[:3] == ["RES-00000000", "RES-00000001", "RES-00000002"]
        assert f"{N:,} resources" in screen_text(app)
        # G: the last row, read from the end of the index
        await pilot.press("G")
        await settled(pilot, table)
        assert table.cursor == N - 1 and table.current is not None
        assert table.current.key == f"RES-{N - 1:08d}"
        assert shown(table)[-1] == f"RES-{N - 1:08d}"
        # the middle, and back up a page as `k` held down would
        table.move_to(N // 2)
        await settled(pilot, table)
        assert table.current is not None and table.current.key == f"RES-{N // 2:08d}"
        await pilot.press("pageup")
        await settled(pilot, table)
        expected = [f"RES-{i:08d}" for i in range(table.top, table.top + table.visible_rows)]
        assert shown(table) == expected
        # search a characteristic value (a serial number) and open the one match
        await pilot.press("slash")
        search_box = app.focused  # (not app.focused itself narrowed: it moves on below)
        assert isinstance(search_box, Input)
        await pilot.press(*serial)
        wanted = TableQuery("resources", search=serial).normalized()

        def searched() -> bool:
            return table.table_query.normalized() == wanted

        await wait_for(pilot, searched, 10, "the debounced search")
        await settled(pilot, table)
        assert table.total >= 1 and "RES-00123456" in shown(table)
        await pilot.press("enter")
        table.move_to(shown(table).index("RES-00123456"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5)
        screen = app.screen
        assert isinstance(screen, InstanceScreen) and screen.key == "RES-00123456"
        await wait_for(pilot, lambda: screen.shown, 30, "the instance")
        await pilot.pause()
        text = screen_text(app)
        assert target.name in text and serial in text
        # back to the table; the search cleared, a sort by name reads in order too
        await pilot.press("escape")
        assert app.screen is app.main_screen and app.focused is table
        view.query_one("#search", Input).value = ""
        await wait_for(pilot, lambda: table.table_query.search is None, 5)
        await settled(pilot, table)
        assert table.total == N
        await pilot.press("o")  # by name
        await settled(pilot, table)
        await pilot.press("G")  # and its last row
        await settled(pilot, table)
        assert table.table_query.sort == "name" and table.cursor == N - 1
        with Store(big_store) as store:
            inst = store.m.instance
            last = (
                inst.select(inst.key)
                .where(inst.kind == "resources")
                .order_by(inst.name.desc(), inst.key.desc())
                .first()
            )
        assert last is not None and table.current is not None
        assert table.current.key == last.key
