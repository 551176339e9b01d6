"""Many readers: ten read-only consoles following a buildup into one PostgreSQL store.

A buildup (the real engine, against the simulator in its own process) into a PostgreSQL database,
timed with no watcher and with --watchers watcher processes, alternately, medians of --runs. Each
watcher runs a read-only console's refresh as the console does while another process syncs: every
second (FOLLOW_POLL) the dashboard's read (`read_snapshot`: counts, runs, buildups, held cleanups,
new log lines, live progress), and when a revision was written since, the resources table's
refresh (its count, its first screen, its status counts). The target: the buildup with ten
watchers within 1.2x of none.

Then what one poll costs the server: every statement of a poll is captured (peewee's query log)
and run again under EXPLAIN (ANALYZE, BUFFERS) on the filled store; the sum of their execution
times, and the buffers they touched. (pg_stat_statements needs `shared_preload_libraries` and a
server restart, which a shared server may not allow: EXPLAIN ANALYZE needs neither.)

    python benchmarks/readers_bench.py --db postgresql://postgres@127.0.0.1/tui_bench_readers \
        [--watchers 10] [--runs 3] [--services 4000 --carriers 1000 --resources 20000]

The database must exist and is emptied before each buildup (it is this benchmark's own).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from buildup_bench import config_for, simulator_process

from tui_inventory.app.schedule import FOLLOW_POLL
from tui_inventory.store.db import is_postgres_url
from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import TableQuery
from tui_inventory.sync.engine import SyncEngine


def poll(store: Store, iq: InventoryQuery, state: dict[str, Any]) -> None:
    """One refresh of a console following another process's sync (see the module docstring)."""
    from tui_inventory.app.dashboard import read_snapshot

    snap = read_snapshot(store, state.get("log_after", 0), previous=state.get("snapshot"))
    previous = state.get("snapshot")
    if snap.log:
        state["log_after"] = snap.log[-1]["id"]
    if previous is None or previous.revision != snap.revision:
        q = TableQuery("resources")
        if iq.quick_count(q) is None:
            iq.count(q)
        iq.window(q, 0, 40)
        iq.statuses("resources")
    state["snapshot"] = snap


def watcher(url: str, stop: Any, ready: Any, results: Any) -> None:
    times: list[float] = []
    with Store(url) as store:
        iq = InventoryQuery(store)
        state: dict[str, Any] = {}
        poll(store, iq, state)  # (the first: modules imported, connection made)
        ready.put(True)
        while not stop.is_set():
            t0 = time.perf_counter()
            poll(store, iq, state)
            took = time.perf_counter() - t0
            times.append(took)
            stop.wait(max(0.0, FOLLOW_POLL - took))
    results.put(times)


def empty(url: str) -> None:
    """Empty this benchmark's own PostgreSQL database for the next buildup: its tables dropped,
    made again (empty) by the next Store opened on it. (buildup_bench's `empty`, imported from
    there before, went with its --db option.)"""
    with Store(url) as store:
        tables = ", ".join(f'"{name}"' for name in store.db.get_tables())
        store.db.execute_sql(f"DROP TABLE {tables} CASCADE")


def buildup(url: str, sim: Any, cfg: Any, watchers: int) -> tuple[float, list[float]]:
    empty(url)
    ctx = mp.get_context("spawn")
    stop, ready, results = ctx.Event(), ctx.Queue(), ctx.Queue()
    args = (url, stop, ready, results)
    procs = [ctx.Process(target=watcher, args=args) for _ in range(watchers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    with Store(url) as store:
        engine = SyncEngine(cfg, store, passwords=sim.passwords.get)
        start = time.perf_counter()
        result = engine.run("buildup")
        elapsed = time.perf_counter() - start
        if not result.ok:
            raise SystemExit(f"buildup did not succeed: {result.reason}")
    stop.set()
    polls: list[float] = []
    for _ in procs:
        polls += results.get(timeout=60)
    for p in procs:
        p.join(timeout=30)
    return elapsed, polls


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            self.statements.append(record.msg)


def poll_cost(url: str) -> None:
    """Every statement of a poll (a first one, then one after a revision), under EXPLAIN ANALYZE."""
    log = logging.getLogger("peewee")
    capture = _Capture()
    with Store(url) as store:
        iq = InventoryQuery(store)
        state: dict[str, Any] = {}
        for label in ("after a page was stored", "with nothing new"):
            capture.statements.clear()
            log.addHandler(capture)
            log.setLevel(logging.DEBUG)
            log.propagate = False
            try:
                if label == "after a page was stored":
                    state.pop("snapshot", None)
                    iq = InventoryQuery(store)
                poll(store, iq, state)
            finally:
                log.removeHandler(capture)
            total, hit, read, worst = 0.0, 0, 0, (0.0, "")
            for sql, params in capture.statements:
                head = sql.lstrip().split(None, 1)[0].upper()
                if head not in ("SELECT", "WITH"):
                    continue
                plan = store.db.execute_sql(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params
                ).fetchone()[0][0]
                ms = plan["Planning Time"] + plan["Execution Time"]
                total += ms
                hit += plan["Planning"].get("Shared Hit Blocks", 0)
                hit += plan["Plan"].get("Shared Hit Blocks", 0)
                read += plan["Plan"].get("Shared Read Blocks", 0)
                worst = max(worst, (ms, sql[:90]))
            n = sum(1 for s, _ in capture.statements if s.lstrip()[:6].upper() == "SELECT")
            print(
                f"    a poll {label}: {n} statements, {total:.1f} ms of server time "
                f"(planning + execution), {hit} buffers hit, {read} read; the costliest "
                f"{worst[0]:.2f} ms: {worst[1]}"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="a postgresql:// URL of this benchmark's own")
    p.add_argument("--watchers", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--services", type=int, default=4000)
    p.add_argument("--carriers", type=int, default=1000)
    p.add_argument("--resources", type=int, default=20000)
    args = p.parse_args()
    if not is_postgres_url(args.db):
        raise SystemExit("--db must be a postgresql:// URL")
    logging.basicConfig(level=logging.ERROR)
    sizes = {"services": args.services, "carriers": args.carriers, "resources": args.resources}
    print(f"buildup of {sizes} into PostgreSQL, with {args.watchers} watchers and without")
    alone, watched, polls = [], [], []
    with simulator_process(sizes, 0) as (sim, _):
        cfg = config_for(sim, 4, 50)
        for _ in range(args.runs):
            alone.append(buildup(args.db, sim, cfg, 0)[0])
            took, times = buildup(args.db, sim, cfg, args.watchers)
            watched.append(took)
            polls += times
    a, w = statistics.median(alone), statistics.median(watched)
    print(f"    no watcher: median {a:.2f} s ({', '.join(f'{x:.2f}' for x in alone)})")
    print(
        f"    {args.watchers} watchers: median {w:.2f} s ({', '.join(f'{x:.2f}' for x in watched)})"
    )
    print(f"    ratio {w / a:.2f} (target <= 1.2)")
    polls.sort()
    print(
        f"    {len(polls)} polls by the watchers, as each saw it: median {statistics.median(polls) * 1000:.1f} ms, "
        f"p95 {polls[int(len(polls) * 0.95)] * 1000:.1f} ms"
    )
    poll_cost(args.db)


if __name__ == "__main__":
    main()
