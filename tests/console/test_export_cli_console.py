"""The CLI's `export` and the console's `e` write through one exporter: for the same store and the
same rows, the same file, with the columns SPEC §6 names (id, name, status, type, the fields)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import wait_for
from test_app_tables import built_app, search, show
from textual.widgets import Input

from tui_inventory.app.inventory import ExportScreen
from tui_inventory.cli import main
from tui_inventory.tmf.definitions import DEFINITIONS


@pytest.mark.parametrize(
    ("kind", "fmt", "searched"),
    [("carriers", "csv", None), ("resources", "csv", "modem"), ("services", "json", "lima")],
    ids=["whole-csv", "searched-csv", "searched-json"],
)
async def test_the_cli_and_the_console_write_the_same_file(
    make_sim: Any, make_engine: Any, tmp_path: Path, kind: str, fmt: str, searched: str | None
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    from_cli = tmp_path / f"cli.{fmt}"
    args = ["--db", str(tmp_path / "inventory.db"), "export", kind, "--format", fmt]
    assert main([*args, *(["--search", searched] if searched else []), "-o", str(from_cli)]) == 0
    from_console = tmp_path / f"console.{fmt}"
    async with app.run_test(size=(100, 30)) as pilot:
        table = await show(pilot, app, kind)
        if searched:
            await search(pilot, table, searched)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), 5, "the dialog")
        app.screen.query_one("#path", Input).value = str(from_console)
        await pilot.press("enter")
        await wait_for(pilot, from_console.exists, 10, "the console's export")
        shown = table.total

    text = from_console.read_text(encoding="utf-8")
    assert text == from_cli.read_text(encoding="utf-8")
    names = [f.name for f in DEFINITIONS[kind].fields]
    if fmt == "csv":
        header, *rows = list(csv.reader(io.StringIO(text)))
        assert header == ["id", "name", "status", "type", *names]
    else:
        rows = json.loads(text)
        assert all(set(r) == {"id", "name", "status", "type", "fields"} for r in rows)
    assert 0 < len(rows) == shown  # every row the table shows, and only those
