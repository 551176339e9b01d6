"""Inventory tables at a million instances (SPEC §9, [scale] (c) and (d)).

Drives the real console with Pilot, in this process, on a store of --instances resources: the time
until the rows on screen are shown after opening the table, jumping to its end (`G`), jumping to
its middle, and searching (the search itself: the 150 ms typing debounce is not counted), each the
median of --runs runs from a cold start of the table's query (no cached count or anchors); then
the process's peak RSS over all of it. Targets: open and jumps < 100 ms, search < 50 ms, < 300 MB.

A search's rows are shown when the first screen of its matching rows is (a broad search shows them
before its count, with "counting…"); the time until its count is shown too is reported on the
line below it, without a target of its own.

    python benchmarks/table_bench.py [--instances 1000000] [--runs 5] [--db PATH | URL]

The store is built once by benchmarks/loader.py (in another process, so its memory is not
counted) and kept at --db for the next run. --db may be a postgresql:// URL of a database of
its own (created beforehand, e.g. `createdb -U postgres tui_bench_1m`): the same steps run there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui_inventory.app.inventory import InventoryTable, InventoryView  # noqa: E402
from tui_inventory.app.main import InventoryApp  # noqa: E402
from tui_inventory.config import Config  # noqa: E402
from tui_inventory.store.db import describe, sqlite_path  # noqa: E402
from tui_inventory.store.repo import Store  # noqa: E402

COUNT = "  its count shown "  # (a label's start: no target)
SEARCHES = {  # the first two are filled from the store (instance RES-00123456)
    "a serial number": "",
    "a name, typed in full": "",
    "a site (7 % of rows)": "Perth",
    "a type (60 % of rows)": "Modem",
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def ensure_store(db: str, n: int) -> None:
    file = sqlite_path(db)
    if file is None or file.exists():
        with Store(db) as store:
            if store.count("resources") >= n:
                return
            if file is None and store.count("resources"):
                raise SystemExit(f"{describe(db)} holds fewer than {n:,} resources: drop it first")
    if file is not None and file.exists():
        file.unlink()
    print(f"building a store of {n:,} resources at {db} (once) …", flush=True)
    t0 = time.perf_counter()
    loader = ROOT / "benchmarks" / "loader.py"
    subprocess.run([sys.executable, str(loader), str(db), "resources", str(n)], check=True)
    print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)


async def settled(pilot: Pilot[Any], table: InventoryTable, timeout: float = 60.0) -> None:
    """Until the table shows every row on screen (polled every millisecond)."""
    deadline = time.perf_counter() + timeout
    while True:
        end = min(table.total, table.top + table.visible_rows)
        if not table.pending and all(p in table.rows for p in range(table.top, end)):
            return
        if time.perf_counter() > deadline:
            raise SystemExit("the table did not settle")
        await asyncio.sleep(0.001)


async def counted(table: InventoryTable, timeout: float = 60.0) -> None:
    """Until the table knows its count (a broad search's follows its first rows)."""
    deadline = time.perf_counter() + timeout
    while table.counting:
        if time.perf_counter() > deadline:
            raise SystemExit("the table did not count its rows")
        await asyncio.sleep(0.001)


async def timed(pilot: Pilot[Any], table: InventoryTable, act: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    act()
    await settled(pilot, table)
    return (time.perf_counter() - t0) * 1000


async def run(db: str, runs: int) -> dict[str, list[float]]:
    with Store(str(db)) as store:
        row = store.get("resources", "RES-00123456")
        assert row is not None
        SEARCHES["a serial number"] = row.fields["Resource Characteristics"]["serialNumber"]
        SEARCHES["a name, typed in full"] = row.name
    config = Config(path=Path(tempfile.mkdtemp()) / "config.toml")
    app = InventoryApp(config, str(db), passwords=lambda api: None, autostart=False)
    results: dict[str, list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.show_tab("tab-resources")
        view = next(v for v in app.main_screen.query(InventoryView) if v.kind == "resources")
        table = view.table
        await settled(pilot, table)
        base = table.table_query

        async def cold(query: Any = None) -> float:
            """Open `query` (default: the whole table) with nothing cached."""
            table._iq = None  # a fresh InventoryQuery: no count, no anchors
            took = await timed(pilot, table, lambda: table.reload(query or base, keep=False))
            await counted(table)
            return took

        async def cold_search(query: Any) -> tuple[float, float]:
            """Search with nothing cached: until its rows are shown, and until its count is."""
            table._iq = None
            t0 = time.perf_counter()
            table.reload(query, keep=False)
            await settled(pilot, table)
            shown = time.perf_counter()
            await counted(table)
            return (shown - t0) * 1000, (time.perf_counter() - t0) * 1000

        def jump(pos: int) -> Callable[[], object]:
            return lambda: table.move_to(pos)

        for _ in range(runs):
            results.setdefault("open the table", []).append(await cold())
            results.setdefault("jump to the end (G)", []).append(
                await timed(pilot, table, lambda: table.action_jump(-1))
            )
            await cold()
            results.setdefault("jump to the middle", []).append(
                await timed(pilot, table, jump(table.total // 2))
            )
            results.setdefault("then a page up", []).append(
                await timed(pilot, table, lambda: table.action_page(-1))
            )
            for label, text in SEARCHES.items():
                took, count = await cold_search(replace(base, search=text))
                results.setdefault(f"search {label} [{table.total:,} found]", []).append(took)
                results.setdefault(COUNT + label, []).append(count)
            await cold(replace(base, sort="name"))
            results.setdefault("sorted by name: jump to the middle", []).append(
                await timed(pilot, table, jump(table.total // 2))
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    default = str(Path(tempfile.gettempdir()) / "tui-inventory-table-bench.db")
    parser.add_argument("--db", default=default, help="a SQLite path or a postgresql:// URL")
    args = parser.parse_args()
    ensure_store(args.db, args.instances)
    with Store(str(args.db)):  # opened (and its schema brought up to date) before measuring
        pass
    before = peak_rss_mb()
    results = asyncio.run(run(args.db, args.runs))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{describe(args.db)}: {args.instances:,} resources, median of {args.runs} runs (ms); load average {load}:"
    )
    for label, times in results.items():
        target = 50 if label.startswith("search") else 100
        median = statistics.median(times)
        verdict = "ok" if median < target else f"over {target} ms"
        spread = f"(min {min(times):.1f}, max {max(times):.1f})"
        if label.startswith(COUNT):
            label, verdict = COUNT, ""
        print(f"  {label:48s} {median:7.1f}   {spread:26s} {verdict}".rstrip())
    peak = peak_rss_mb()
    verdict = "ok" if peak < 300 else "over 300 MB"
    print(
        f"\npeak RSS of the console process: {peak:.0f} MB (before the app: {before:.0f} MB)  {verdict}"
    )


if __name__ == "__main__":
    main()
