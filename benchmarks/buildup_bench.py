"""Buildup speed (SPEC §9), measured as ratios within one run.

(a) buildup against a fetch-and-decode-only pass over the same simulator pages, same concurrency:
    the target is a ratio of at most 1.5; also a buildup whose pages are prepared (de-duplicated,
    mapped) and then dropped instead of stored — the floor set by the sync's own process, which
    no store, however fast, can go below;
(b) buildup with 200 ms latency per page, `sync.page_concurrency = 4` against 1: at least 4× faster.

The simulator runs in its own process (`tui-inventory simulate`), as a real upstream would, so its
work does not share this process's interpreter lock. Each figure is the median of --runs runs.

    python benchmarks/buildup_bench.py [--runs 3] [--services 4000 --carriers 1000 --resources 20000]
        [--db postgresql://postgres@127.0.0.1/tui_bench_buildup]

--db stores into a PostgreSQL database of the benchmark's own (it must exist; it is emptied before
each buildup) instead of a new SQLite file per buildup.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tui_inventory import KINDS
from tui_inventory.config import Config
from tui_inventory.errors import PageFailed
from tui_inventory.simulator import Simulator
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.sync.events import Counters
from tui_inventory.sync.pages import PageStream
from tui_inventory.sync.writer import OnStored, PageSink, PageWriter, PreparedPage, StreamSpec
from tui_inventory.tmf.client import TmfClient
from tui_inventory.tmf.definitions import DEFINITIONS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used so far; 0 where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuClock:
    """CPU seconds of this process, of its waited-for children (the store process) and of the
    simulator since the clock was made."""

    def __init__(self, simulator_pid: int) -> None:
        self.simulator_pid = simulator_pid
        self._start = self._now()

    def _now(self) -> tuple[float, float, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            me.ru_utime + me.ru_stime,
            kids.ru_utime + kids.ru_stime,
            cpu_of(self.simulator_pid),
        )

    def read(self) -> tuple[float, float, float]:
        """(this process, its children, the simulator) since the clock was made."""
        now = self._now()
        return (now[0] - self._start[0], now[1] - self._start[1], now[2] - self._start[2])


@contextlib.contextmanager
def simulator_process(sizes: dict[str, int], latency_ms: int) -> Iterator[tuple[Simulator, int]]:
    """A simulator in another process; yields a local (unstarted) twin for its settings, and the
    process's pid (for CpuClock)."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "tui_inventory",
        "simulate",
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
    ]
    cmd += [f"--{k}={v}" for k, v in sizes.items()]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"the simulator did not start: {proc.stderr.read() if proc.stderr else ''}"
                    ) from None
                time.sleep(0.05)
        yield Simulator(services=1, carriers=1, resources=1, port=port), proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def config_for(sim: Simulator, concurrency: int, page_size: int) -> Config:
    cfg = Config()
    for name, value in sim.settings("ses").items():
        cfg.set(name, value)
    cfg.set("sync.page_concurrency", concurrency)
    cfg.set("sync.records_per_page", page_size)
    return cfg


def fetch_and_decode(sim: Simulator, cfg: Config) -> tuple[float, int]:
    """Every page of every type, fetched and decoded exactly as the buildup does, nothing more."""
    items = 0
    start = time.perf_counter()
    for kind in KINDS:
        api = DEFINITIONS[kind].api
        with TmfClient(
            api,
            cfg.url_for(api) or "",
            cfg.username_for(api),
            sim.passwords[api],
            page_size=cfg.sync.records_per_page,
            concurrency=cfg.sync.page_concurrency,
        ) as client:
            stream = PageStream(
                client, cfg.path_for(kind), 1, concurrency=cfg.sync.page_concurrency
            )
            for _, page in stream:
                if isinstance(page, PageFailed):
                    raise SystemExit(f"page failed: {page}")
                items += len(page.items)
                if page.is_last(client.page_size):
                    stream.stop()
    return time.perf_counter() - start, items


class _Dropped:
    """A stream whose pages count as stored the moment they are put."""

    def __init__(self, on_stored: OnStored) -> None:
        self._on_stored = on_stored

    def put(self, page: PreparedPage) -> None:
        self._on_stored(page, Counters(created=len(page.items)))

    def pending(self) -> set[str]:
        return set()

    def close(self) -> None:
        pass


class DroppingSink:
    def stream(self, spec: StreamSpec, on_stored: OnStored) -> PageWriter:
        return _Dropped(on_stored)

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


class PrepareOnlyEngine(SyncEngine):
    """A buildup that fetches, decodes and prepares every page as the real one does, and drops it."""

    def _open_sink(self, mode: str) -> PageSink:
        return DroppingSink()


DB: str | None = None  # --db: a PostgreSQL database, emptied before each buildup
TABLES = (
    "instance, revision, sync_run, type_run, buildup, tracked_key, gap, held_cleanup, "
    "log_entry, lease, instance_count"
)


def empty(url: str) -> None:
    """Empty a PostgreSQL store (the benchmark's own) for the next buildup."""
    with Store(url) as store:
        store.db.execute_sql(f"TRUNCATE {TABLES} RESTART IDENTITY")


def buildup(
    sim: Simulator, cfg: Config, workdir: Path, engine_class: type[SyncEngine] = SyncEngine
) -> tuple[float, int]:
    db = workdir / f"bench-{time.monotonic_ns()}.db"
    if DB is not None:
        empty(DB)
    with Store(DB or str(db)) as store:
        engine = engine_class(cfg, store, passwords=sim.passwords.get)
        start = time.perf_counter()
        result = engine.run("buildup")
        elapsed = time.perf_counter() - start
        if not result.ok:
            raise SystemExit(f"buildup did not succeed: {result.reason}")
        stored = sum(store.counts().values())
    for f in workdir.glob(db.name + "*"):
        f.unlink()
    return elapsed, stored


def bench_fetch_ratio(sizes: dict[str, int], runs: int, concurrency: int, page_size: int) -> None:
    print(
        f"(a) buildup vs fetch-and-decode: {sizes}, page size {page_size}, concurrency {concurrency}"
    )
    with simulator_process(sizes, 0) as (sim, pid), tempfile.TemporaryDirectory() as tmp:
        cfg = config_for(sim, concurrency, page_size)
        fetch_and_decode(sim, cfg)  # warm the simulator's page cache for both contenders
        ratios, fetches, builds, floors, floor_ratios = [], [], [], [], []
        fetch_cpu: list[tuple[float, float, float]] = []
        build_cpu: list[tuple[float, float, float]] = []
        for _ in range(runs):
            clock = CpuClock(pid)
            f, items = fetch_and_decode(sim, cfg)
            fetch_cpu.append(clock.read())
            clock = CpuClock(pid)
            b, stored = buildup(sim, cfg, Path(tmp))
            build_cpu.append(clock.read())
            p, _ = buildup(sim, cfg, Path(tmp), PrepareOnlyEngine)
            fetches.append(f)
            builds.append(b)
            ratios.append(b / f)
            floors.append(p)
            floor_ratios.append(p / f)
        print(
            f"    fetch+decode: median {statistics.median(fetches):.2f} s for {items} entities ({items / statistics.median(fetches):,.0f}/s)"
        )
        print(
            f"    buildup:      median {statistics.median(builds):.2f} s, {stored} instances stored ({items / statistics.median(builds):,.0f}/s)"
        )
        print(
            f"    ratio buildup / fetch+decode: median {statistics.median(ratios):.2f} (runs: {', '.join(f'{r:.2f}' for r in ratios)}; target <= 1.5)"
        )
        print(
            f"    floor, pages prepared but not stored: median {statistics.median(floors):.2f} s, "
            f"ratio {statistics.median(floor_ratios):.2f} (runs: {', '.join(f'{r:.2f}' for r in floor_ratios)})"
        )
        cores = os.cpu_count() or 1
        f_cpu = [statistics.median(c[i] for c in fetch_cpu) for i in range(3)]
        b_cpu = [statistics.median(c[i] for c in build_cpu) for i in range(3)]
        print(
            f"    CPU (median core-seconds): fetch+decode {sum(f_cpu):.2f} (this process "
            f"{f_cpu[0]:.2f}, simulator {f_cpu[2]:.2f}); buildup {sum(b_cpu):.2f} (sync "
            f"{b_cpu[0]:.2f}, store process {b_cpu[1]:.2f}, simulator {b_cpu[2]:.2f}); "
            f"{cores} cores give {cores * 1.5 * statistics.median(fetches):.2f} in 1.5x the "
            "fetch time"
        )


def bench_latency(runs: int, page_size: int) -> None:
    sizes = {"services": 1000, "carriers": 250, "resources": 1000}
    print(f"(b) buildup with 200 ms latency per page: {sizes}, page size {page_size}")
    with simulator_process(sizes, 200) as (sim, _), tempfile.TemporaryDirectory() as tmp:
        times: dict[int, list[float]] = {1: [], 4: []}
        for _ in range(runs):
            for concurrency in (1, 4):
                elapsed, _ = buildup(sim, config_for(sim, concurrency, page_size), Path(tmp))
                times[concurrency].append(elapsed)
        seq, par = statistics.median(times[1]), statistics.median(times[4])
        print(f"    page_concurrency=1: median {seq:.2f} s; page_concurrency=4: median {par:.2f} s")
        print(f"    speed-up: {seq / par:.2f}x (target >= 4 for the defaults, see README)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--services", type=int, default=4000)
    p.add_argument("--carriers", type=int, default=1000)
    p.add_argument("--resources", type=int, default=20000)
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--only", choices=("a", "b"))
    p.add_argument("--db", help="a postgresql:// URL of a database of the benchmark's own")
    args = p.parse_args()
    global DB
    DB = args.db
    logging.basicConfig(level=logging.ERROR)  # the sync's skip and retry lines are not figures
    sizes = {"services": args.services, "carriers": args.carriers, "resources": args.resources}
    if args.only in (None, "a"):
        bench_fetch_ratio(sizes, args.runs, args.concurrency, args.page_size)
    if args.only in (None, "b"):
        bench_latency(args.runs, args.page_size)


if __name__ == "__main__":
    main()
