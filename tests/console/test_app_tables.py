"""The inventory tables, the instance view and the Changes feed, driven by Pilot on the real
console: the store is built up from the simulator over loopback by the real engine."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import SMALL, make_app, runs_ended, screen_text, wait_for, wait_idle
from peewee import fn
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select

from tui_inventory.app.cells import fit_middle
from tui_inventory.app.changes import ChangesView
from tui_inventory.app.instance import InstanceScreen
from tui_inventory.app.inventory import ExportScreen, InventoryTable, InventoryView
from tui_inventory.app.main import InventoryApp
from tui_inventory.simulator import Simulator
from tui_inventory.store import query as query_module
from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.repo import Store
from tui_inventory.store.search import search_terms
from tui_inventory.store.table_query import TableQuery
from tui_inventory.sync.engine import SyncEngine

HOSTILE = (
    "[@click=app.quit]Q[/] [/bold] [link=http://x]a[/link] \x1b]0;title\x07\x1b[2J "
    "\x9b31m שלום عربي 🚀🛰 end"
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def built_app(
    make_sim: Callable[..., Any],
    make_engine: Callable[..., Any],
    tmp_path: Path,
    prepare: Callable[[Any], None] | None = None,
) -> tuple[InventoryApp, Any]:
    """The console on a store the real engine built up from a fresh simulator."""
    sim = make_sim(**SMALL)
    if prepare is not None:
        prepare(sim)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").state == "succeeded"
    return make_app(sim, tmp_path, autostart=False), sim


def view_of(app: InventoryApp, kind: str) -> InventoryView:
    return next(v for v in app.main_screen.query(InventoryView) if v.kind == kind)


async def show(pilot: Pilot[Any], app: InventoryApp, kind: str) -> InventoryTable:
    """Switch to `kind`'s tab and wait for its table to show its rows."""
    app.main_screen.show_tab(f"tab-{kind}")
    table = view_of(app, kind).table
    await settled(pilot, table)
    return table


async def settled(pilot: Pilot[Any], table: InventoryTable) -> None:
    def ready() -> bool:
        end = min(table.total, table.top + table.visible_rows)
        return not table.pending and all(p in table.rows for p in range(table.top, end))

    await wait_for(pilot, ready, 10, "the table to show its rows")
    await pilot.pause()


async def scrolled_to_end(pilot: Pilot[Any], screen: InstanceScreen) -> None:
    screen.query_one("#body").scroll_end(animate=False, immediate=True)
    await pilot.pause()


def shown_keys(table: InventoryTable) -> list[str]:
    end = min(table.total, table.top + table.visible_rows)
    return [table.rows[p].key for p in range(table.top, end)]


async def search(pilot: Pilot[Any], table: InventoryTable, text: str) -> None:
    """Type `text` into the search box (after `/`) and wait for the table to show the result;
    then enter hands the keys back to the table."""
    await pilot.press("slash")
    box = pilot.app.focused
    assert isinstance(box, Input)
    await pilot.press(*["backspace"] * len(box.value), *text)
    wanted = TableQuery(table.table_query.kind, search=text).normalized().search

    def searched() -> bool:
        return table.table_query.normalized().search == wanted

    await wait_for(pilot, searched, 5, "the debounced search")
    await settled(pilot, table)
    await pilot.press("enter")
    assert pilot.app.focused is table


async def open_selected(pilot: Pilot[Any], table: InventoryTable) -> InstanceScreen:
    """Enter on the table: the selected instance's screen, once it shows the instance."""
    await pilot.press("enter")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5, "the instance")
    screen = app.screen
    assert isinstance(screen, InstanceScreen)
    await wait_for(pilot, lambda: screen.shown, 10, "the instance's fields")
    await pilot.pause()
    return screen


async def test_slash_narrows_the_table_and_enter_opens_an_instance(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await show(pilot, app, "carriers")
        assert table.total == 40
        assert "40 carriers" in screen_text(app)
        target = app.store.get("carriers", shown_keys(table)[7])
        assert target is not None
        await search(pilot, table, target.key)
        assert table.total == 1 and shown_keys(table) == [target.key]
        assert "1 of 40" in screen_text(app)
        screen = await open_selected(pilot, table)
        assert screen.key == target.key
        text = screen_text(app)
        assert target.name in text and "Uplink Alias" in text
        await scrolled_to_end(pilot, screen)
        assert "History (1, newest first)" in screen_text(app)
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_sorting_filtering_and_moving_like_less(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await show(pilot, app, "resources")
        iq = InventoryQuery(app.store)
        total = table.total
        selected = table.current
        await pilot.press("o")  # sort by name: the selected instance stays selected
        await settled(pilot, table)
        q = TableQuery("resources", sort="name")
        assert table.table_query == q and table.current == selected
        assert shown_keys(table) == [r.key for r in iq.window(q, table.top, table.visible_rows)]
        await pilot.press("O")  # reversed
        await settled(pilot, table)
        q = TableQuery("resources", sort="name", descending=True)
        assert table.current == selected
        assert shown_keys(table) == [r.key for r in iq.window(q, table.top, table.visible_rows)]
        await pilot.press("G")
        await settled(pilot, table)
        assert table.cursor == total - 1
        assert table.current == iq.window(q, total - 1, 1)[0]
        await pilot.press("k", "k", "g", "j")
        assert table.cursor == 1
        await pilot.press("pagedown")
        assert table.cursor == 1 + table.visible_rows
        # the status filter
        status, n = iq.statuses("resources")[0]
        view = view_of(app, "resources")
        view.query_one("#status").value = status  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: table.table_query.status == status, 5)
        await settled(pilot, table)
        assert table.total == n
        shown = [app.store.get("resources", k) for k in shown_keys(table)]
        assert {r.status for r in shown if r is not None} == {status}


async def test_a_broad_search_shows_its_rows_first_then_its_count(
    make_sim: Callable[..., Simulator],
    make_engine: Callable[..., SyncEngine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(query_module, "MATERIALIZE", 10)  # every search here is broad
    app, _ = built_app(make_sim, make_engine, tmp_path)
    release = threading.Event()
    count = InventoryQuery.count

    def held(self: InventoryQuery, q: TableQuery) -> int:
        """A search's count waits until the test has looked at the table without it."""
        if q.search is not None:
            assert release.wait(10)
        return count(self, q)

    monkeypatch.setattr(InventoryQuery, "count", held)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await show(pilot, app, "resources")
        iq = InventoryQuery(app.store)
        status = max(iq.statuses("resources"), key=lambda s: s[1])[0]
        word = search_terms(status)[0]
        q = TableQuery("resources", search=word)
        expected = [r.key for r in iq.window(q, 0, 10_000)]
        assert len(expected) > 3 * table.visible_rows  # more than a reload reads
        await search(pilot, table, word)
        assert table.counting and "counting…" in screen_text(app)
        assert shown_keys(table) == expected[: table.visible_rows]
        await pilot.press("G")  # where the end is, only the count tells: it is gone to then
        assert table.cursor == 0
        release.set()
        await wait_for(pilot, lambda: not table.counting, 10, "the count")
        await settled(pilot, table)
        assert table.total == len(expected)
        assert table.current is not None and table.current.key == expected[-1]
        assert shown_keys(table) == expected[-table.visible_rows :]
        assert f"{len(expected):,} of " in screen_text(app)


async def test_an_update_shows_old_and_new_values_in_the_history_and_the_changes_feed(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, sim = built_app(make_sim, make_engine, tmp_path)
    store = Store(str(tmp_path / "inventory.db"))
    service = next(r for r in store.iter_instances("services") if r.status == "Operational")
    store.close()
    old_name = service.name
    ended = runs_ended(app)
    async with app.run_test(size=(120, 40), message_hook=ended) as pilot:
        await show(pilot, app, "services")
        sim.dataset.set_field("services", service.key, "Name", "Renamed by the operator")
        await pilot.press("u")
        await ended.wait(pilot, 1, 30, "the update")
        await wait_idle(pilot, app)
        # the table shows the new name without being asked
        table = view_of(app, "services").table
        renamed = "Renamed by the operator"
        await wait_for(pilot, lambda: any(r.name == renamed for r in table.rows.values()), 10)
        await search(pilot, table, service.key)
        screen = await open_selected(pilot, table)
        await scrolled_to_end(pilot, screen)
        text = screen_text(app)
        assert f"Name: {old_name} → Renamed by the operator" in text
        assert "changed (run" in text and "created (run" in text
        await pilot.press("escape")
        # the Changes feed lists the change (filtered to services' changes) and opens it
        app.main_screen.show_tab("tab-changes")
        changes = app.main_screen.query_one(ChangesView)
        feed: DataTable[Any] = changes.query_one(DataTable)
        changes.query_one("#changes-kind", Select).value = "services"
        changes.query_one("#changes-change", Select).value = "changed"

        def listed() -> list[tuple[str, str, str]]:
            return [(r.kind, r.key, r.change) for r in changes.revisions.values()]

        await wait_for(pilot, lambda: listed() == [("services", service.key, "changed")], 10)
        await pilot.pause()
        text = screen_text(app)
        assert "changed" in text and service.key in text and "Name" in text
        feed.focus()
        feed.move_cursor(row=0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5)
        assert isinstance(app.screen, InstanceScreen) and app.screen.key == service.key


async def test_following_a_relationship_and_back(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    store = Store(str(tmp_path / "inventory.db"))
    carrier = next(iter(store.iter_instances("carriers")))
    satellite = carrier.fields["Satellite"][0]["id"]
    assert store.get("resources", satellite) is not None
    store.close()
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        app.push_screen(InstanceScreen("carriers", carrier.key))
        screen = app.screen
        assert isinstance(screen, InstanceScreen)
        await wait_for(pilot, lambda: screen.shown, 10)
        await pilot.pause()
        refs = screen.query(OptionList).first()  # the first refs field: Satellite
        refs.focus()
        refs.highlighted = 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not screen, 5, "the related instance")
        related = app.screen
        assert isinstance(related, InstanceScreen)
        assert (related.kind, related.key) == ("resources", satellite)
        await wait_for(pilot, lambda: related.shown, 10)
        await pilot.pause()
        # the satellite lists the carrier among those that refer to it
        assert related.snapshot is not None
        assert carrier.key in {r.key for r in related.snapshot.referenced_by}
        await pilot.press("escape")
        assert app.screen is screen


async def test_hostile_data_is_shown_literally_and_drives_nothing(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    huge = "x" * 100_000

    def prepare(sim: Any) -> None:
        keys = [e["ExternalId"] for e in sim.dataset.items("services")[:2]]
        sim.dataset.set_field("services", keys[0], "Name", HOSTILE)
        sim.dataset.set_field("services", keys[0], "Status", "Operational")
        sim.dataset.set_characteristic("services", keys[0], "evil", HOSTILE)
        sim.dataset.set_characteristic("services", keys[0], "nested", {"a": [HOSTILE, None, 1.5]})
        sim.dataset.set_field("services", keys[1], "Name", huge)
        prepared.extend(keys)

    prepared: list[str] = []
    app, _ = built_app(make_sim, make_engine, tmp_path, prepare)
    hostile_key, huge_key = prepared
    # (260 columns: the whole 95-character name in one row; at 200 the name stops at 72)
    async with app.run_test(size=(260, 60)) as pilot:
        table = await show(pilot, app, "services")
        await search(pilot, table, hostile_key)
        text = screen_text(app)
        literals = ("[@click=app.quit]Q[/]", "[/bold]", "[link=http://x]a[/link]", "␛[2J")
        for literal in (*literals, "␛]0;title␇", "<9B>31m", "שלום", "🚀"):
            assert literal in text, literal
        assert not CONTROL.search(text)
        # clicking the row selects it; the text is not a link that quits
        await pilot.click(InventoryTable, offset=(30, 1))
        await pilot.pause()
        assert app.is_running and app.screen is app.main_screen
        await open_selected(pilot, table)
        text = screen_text(app)
        assert text.count("[@click=app.quit]Q[/]") >= 3  # title, Name field, characteristics
        assert "[link=http://x]a[/link]" in text and "🛰" in text
        assert not CONTROL.search(text)
        svg = app.export_screenshot()
        assert "[@click=app.quit]Q[/]" in svg.replace("&#160;", " ")
        assert not CONTROL.search(svg.replace("\n", ""))
        await pilot.press("escape")
        # the 100 kB name: a row and an instance view, cut short, quickly
        await search(pilot, table, huge_key)
        assert "xxxxxxxx…" in screen_text(app)
        await open_selected(pilot, table)
        assert "xxx…" in screen_text(app)
        assert app.is_running


async def test_e_exports_what_the_table_shows(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await show(pilot, app, "resources")
        await search(pilot, table, "modem")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), 5)
        target = tmp_path / "modems.json"
        path = app.screen.query_one("#path", Input)
        path.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists, 10, "the export file")
        data = json.loads(target.read_text(encoding="utf-8"))
        expected = InventoryQuery(app.store).window(table.table_query, 0, 10_000)
        assert [d["id"] for d in data] == [r.key for r in expected]
        assert len(data) == table.total > 0
        assert all("modem" in json.dumps(d).lower() for d in data)


async def test_a_removed_instance_still_shows_its_history(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, sim = built_app(make_sim, make_engine, tmp_path)
    store = Store(str(tmp_path / "inventory.db"))
    carrier = next(iter(store.iter_instances("carriers")))
    store.close()
    sim.dataset.remove("carriers", carrier.key)
    ended = runs_ended(app)
    async with app.run_test(size=(120, 50), message_hook=ended) as pilot:
        await pilot.press("b")  # the buildup's cleanup removes the carrier upstream lost
        await ended.wait(pilot, 1, 30, "the buildup")
        await wait_idle(pilot, app)
        assert app.store.get("carriers", carrier.key) is None
        table = await show(pilot, app, "carriers")
        assert table.total == 39
        app.push_screen(InstanceScreen("carriers", carrier.key))
        screen = app.screen
        assert isinstance(screen, InstanceScreen)
        await wait_for(pilot, lambda: screen.shown, 10)
        await pilot.pause()
        text = screen_text(app)
        assert "Removed from the inventory" in text and carrier.name in text
        assert "Uplink Alias" in text  # its last values
        # When, as the history and the Changes feed write it, not the raw stored timestamp.
        removed = next(
            r for r in app.store.revisions("carriers", carrier.key) if r.change == "removed"
        )
        stamp = removed.at[:19].replace("T", " ") + " UTC"
        assert f"Removed from the inventory on {stamp}; its last values" in text
        assert removed.at not in text and not re.search(r"\d\dT\d\d:", text)
        await scrolled_to_end(pilot, screen)
        text = screen_text(app)
        assert "History (2, newest first)" in text
        assert text.index("removed (run") < text.index("created (run")
        assert re.search(rf"{stamp}\s+removed \(run", text)  # the same time in the history


async def test_at_80_columns_the_carriers_keys_tell_them_apart(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await show(pilot, app, "carriers")
        keys = shown_keys(table)
        assert len(keys) > 10 and any(k.startswith("CAR-ASTRA1P-") for k in keys)
        rows = [line for line in screen_text(app).splitlines() if line.startswith(" CAR-")]
        assert len(rows) == len(keys)
        for key, row in zip(keys, rows, strict=True):
            assert row.startswith(f" {key} "), row  # the whole key, before the name
        shown = [row.split()[0] for row in rows]
        assert len(set(shown)) == len(shown)  # no two carriers look alike
        assert "ExternalId ▲" in screen_text(app)


def test_a_key_too_long_for_its_column_loses_its_middle_not_its_end() -> None:
    assert fit_middle("CAR-ASTRA1P-0007", 14) == "CAR-AS…1P-0007"
    assert fit_middle("CAR-ASTRA1P-0007", 16) == "CAR-ASTRA1P-0007"
    assert fit_middle("CAR-1", 14) == "CAR-1" + " " * 9
    wide = fit_middle("SAT-🛰🛰🛰🛰🛰🛰🛰🛰-0042", 15)  # wide characters: still 15 cells
    assert cell_len(wide) == 15 and wide.startswith("SAT-") and wide.endswith("-0042")
    hostile = fit_middle("A\x1b]0;t\x07" + "x" * 100_000 + "\x1b[2J-END", 20)
    assert cell_len(hostile) == 20 and hostile.endswith("␛[2J-END") and "\x1b" not in hostile


async def test_the_status_filter_counts_the_matches_of_the_search(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        table = await show(pilot, app, "services")
        await search(pilot, table, "maritime")
        keys = [r.key for r in InventoryQuery(app.store).window(table.table_query, 0, 10_000)]
        assert 0 < len(keys) == table.total < 120
        inst = app.store.m.instance
        by_status = (
            inst.select(inst.status, fn.COUNT(inst.id))
            .where((inst.kind == "services") & inst.key.in_(keys))
            .group_by(inst.status)
            .tuples()
        )
        expected = {f"{status} ({n})" for status, n in by_status}
        everything = {f"{s} ({n})" for s, n in InventoryQuery(app.store).statuses("services")}
        assert expected != everything  # (the search's counts are not the inventory's)

        def offered() -> set[str]:
            return set(re.findall(r"[A-Z][\w-]* \(\d+\)", screen_text(app)))

        await pilot.press("f")
        await wait_for(pilot, lambda: offered() == expected, 10, f"the choices {expected}")
        assert f"{len(keys)} of 120" in screen_text(app)
        # Choosing one: its count is the table's.
        status, n = min(by_status, key=lambda s: s[1])
        select = view_of(app, "services").query_one("#status", Select)
        await pilot.press("escape")
        select.value = status
        await wait_for(pilot, lambda: table.table_query.status == status, 5)
        await settled(pilot, table)
        assert table.total == n
        assert f"{status} ({n})" in screen_text(app) and f"{n} of 120" in screen_text(app)
