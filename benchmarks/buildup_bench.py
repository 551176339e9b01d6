"""Buildup speed (SPEC §9), measured as ratios within one run.

(a) buildup against SPEC §9's reference: the pages rendered to bytes beforehand (by the simulator,
    `ses` dialect), served by the standard library's HTTP server (`reference_server.py`, a process
    of its own), fetched one after another with `http.client` and decoded with `json`. The
    product's buildup (the engine in-process, as `sync --once --buildup` runs it) reads the same
    server. The target is a ratio of at most 1.5. Also printed: a buildup whose pages are prepared
    (de-duplicated, mapped) and then dropped instead of stored — the floor set by the sync's own
    process —, each process's CPU, and what the sync's threads waited on;
(b) buildup with 200 ms latency per page (the simulator), `sync.page_concurrency = 4` against 1:
    at least 4× faster.

Each figure is the median of --runs runs.

    python benchmarks/buildup_bench.py [--runs 3] [--resources 200000] [--only a|b]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui_inventory import KINDS
from tui_inventory.config import Config
from tui_inventory.domain import Counters
from tui_inventory.errors import PageFailed
from tui_inventory.simulator import Simulator
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.sync.pages import PageStream
from tui_inventory.sync.writer import OnStored, PageSink, PageWriter, PreparedPage, StreamSpec
from tui_inventory.tmf.client import Page, TmfClient
from tui_inventory.tmf.mapping import Mapped

sys.path.insert(0, str(Path(__file__).parent))
import reference_server


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

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self._start = self._now()

    def _now(self) -> tuple[float, float, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            me.ru_utime + me.ru_stime,
            kids.ru_utime + kids.ru_stime,
            cpu_of(self.server_pid),
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
                        "the simulator did not start: "
                        + (proc.stderr.read().decode(errors="replace") if proc.stderr else "")
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


@contextlib.contextmanager
def reference_process(sizes: dict[str, int], page_size: int) -> Iterator[tuple[Simulator, int]]:
    """SPEC §9's reference server (`reference_server.py`) in another process; yields an unstarted
    simulator twin for its addresses and settings, and the server's pid (for CpuClock)."""
    cmd = [sys.executable, str(Path(reference_server.__file__)), f"--page-size={page_size}"]
    cmd += [f"--{k}={v}" for k, v in sizes.items()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "port N" once its pages are rendered and it serves
        if not line.startswith("port "):
            raise SystemExit(f"the reference server did not start (exit status {proc.wait()})")
        yield Simulator(services=1, carriers=1, resources=1, port=int(line.split()[1])), proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def fetch_and_decode(sim: Simulator, page_size: int) -> tuple[float, int]:
    """SPEC §9's reference pass: every page of every listing, one after another, with the standard
    library's client, each decoded with `json`; nothing more."""
    items = 0
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", sim.port)
    try:
        for kind in KINDS:
            path = reference_server.path_of(kind)
            number = 1
            while True:
                conn.request("GET", f"{path}?status=1&recordsPerPage={page_size}&page={number}")
                response = conn.getresponse()
                entities = json.loads(response.read())
                items += len(entities)
                if len(entities) < page_size:
                    break
                number += 1
    finally:
        conn.close()
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


Waits = defaultdict[tuple[str, str], float]  # (inventory, what) -> seconds of its sync thread


class _TimedStream(PageStream):
    """A page stream that adds up how long its reader waited for the next page."""

    def __init__(self, waits: Waits, kind: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waits, self._kind = waits, kind

    def __iter__(self) -> Iterator[tuple[int, Page | PageFailed]]:
        pages = super().__iter__()
        while True:
            start = time.perf_counter()
            try:
                item = next(pages)
            except StopIteration:
                return
            finally:
                self._waits[self._kind, "next page"] += time.perf_counter() - start
            yield item


class _TimedWriter:
    def __init__(self, writer: PageWriter, waits: Waits, kind: str) -> None:
        self._writer, self._waits, self._kind = writer, waits, kind

    def put(self, page: PreparedPage) -> None:
        start = time.perf_counter()
        self._writer.put(page)  # blocks while the store has enough pages in hand
        self._waits[self._kind, "store"] += time.perf_counter() - start

    def pending(self) -> set[str]:
        return self._writer.pending()

    def close(self) -> None:
        start = time.perf_counter()
        self._writer.close()  # the pages still in the store's hands
        self._waits[self._kind, "store"] += time.perf_counter() - start


class _TimedSink:
    def __init__(self, sink: PageSink, waits: Waits) -> None:
        self._sink, self._waits = sink, waits

    def stream(self, spec: StreamSpec, on_stored: OnStored) -> PageWriter:
        return _TimedWriter(self._sink.stream(spec, on_stored), self._waits, spec.kind)

    def cancel(self) -> None:
        self._sink.cancel()

    def close(self) -> None:
        self._sink.close()


class TimedEngine(SyncEngine):
    """The engine as the CLI runs it, with clocks around what its sync threads wait on: the next
    page (fetching, decoding), preparing a page (de-duplicating, mapping), handing it to the
    store (the store's queue is full) and the store's last pages at the end."""

    waits: Waits

    def _stream(
        self, client: TmfClient, kind: str, first: int, *, updated_only: bool
    ) -> PageStream:
        return _TimedStream(
            self.waits,
            kind,
            client,
            self.config.path_for(kind),
            first,
            concurrency=self.config.sync.page_concurrency,
            updated_only=updated_only,
            max_pages=self.max_pages,
        )

    def _prepare(self, kind: str, *args: Any) -> list[Mapped]:
        start = time.perf_counter()
        try:
            return super()._prepare(kind, *args)
        finally:
            self.waits[kind, "prepare"] += time.perf_counter() - start

    def _open_sink(self, mode: str) -> PageSink:
        return _TimedSink(super()._open_sink(mode), self.waits)

    def _build_indexes(self) -> None:
        start = time.perf_counter()
        super()._build_indexes()
        self.waits["all", "indexes"] += time.perf_counter() - start


class PrepareOnlyEngine(SyncEngine):
    """A buildup that fetches, decodes and prepares every page as the real one does, and drops it."""

    def _open_sink(self, mode: str) -> PageSink:
        return DroppingSink()


def buildup(
    sim: Simulator,
    cfg: Config,
    workdir: Path,
    engine_class: type[SyncEngine] = SyncEngine,
    waits: Waits | None = None,
) -> tuple[float, int]:
    db = workdir / f"bench-{time.monotonic_ns()}.db"
    with Store(str(db)) as store:
        engine = engine_class(cfg, store, passwords=sim.passwords.get)
        if isinstance(engine, TimedEngine):
            engine.waits = clocks = waits if waits is not None else defaultdict(float)
            tracked_among = store.tracked_among

            def timed_tracked_among(kind: str, keys: Any) -> set[str]:
                start = time.perf_counter()
                try:
                    return tracked_among(kind, keys)
                finally:
                    clocks[kind, "tracked"] += time.perf_counter() - start

            store.tracked_among = timed_tracked_among  # type: ignore[method-assign]
        start = time.perf_counter()
        result = engine.run("buildup")
        elapsed = time.perf_counter() - start
        if not result.ok:
            raise SystemExit(f"buildup did not succeed: {result.reason}")
        stored = sum(store.counts().values())
    for f in workdir.glob(db.name + "*"):
        f.unlink()
    return elapsed, stored


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def bench_fetch_ratio(sizes: dict[str, int], runs: int, concurrency: int, page_size: int) -> None:
    print(
        f"(a) buildup vs SPEC §9's reference (pre-rendered pages, http.server, http.client, json): "
        f"{sizes}, page size {page_size}, buildup concurrency {concurrency}"
    )
    with (
        reference_process(sizes, page_size) as (sim, pid),
        tempfile.TemporaryDirectory() as tmp,
    ):
        cfg = config_for(sim, concurrency, page_size)
        fetches, builds, floors = [], [], []
        fetch_cpu: list[tuple[float, float, float]] = []
        build_cpu: list[tuple[float, float, float]] = []
        all_waits: list[Waits] = []
        for _ in range(runs):
            clock = CpuClock(pid)
            f, items = fetch_and_decode(sim, page_size)
            fetch_cpu.append(clock.read())
            clock = CpuClock(pid)
            waits: Waits = defaultdict(float)
            b, stored = buildup(sim, cfg, Path(tmp), TimedEngine, waits)
            build_cpu.append(clock.read())
            all_waits.append(waits)
            p, _ = buildup(sim, cfg, Path(tmp), PrepareOnlyEngine)
            fetches.append(f)
            builds.append(b)
            floors.append(p)
        ratios = [b / f for b, f in zip(builds, fetches, strict=True)]
        floor_ratios = [p / f for p, f in zip(floors, fetches, strict=True)]
        fetch, build = statistics.median(fetches), statistics.median(builds)
        print(
            f"    fetch+decode: median {fetch:.2f} s for {items} entities ({items / fetch:,.0f}/s)"
        )
        print(
            f"    buildup:      median {build:.2f} s, {stored} instances stored "
            f"({items / build:,.0f} entities/s)"
        )
        print(
            f"    ratio buildup / fetch+decode: median {statistics.median(ratios):.2f} "
            f"(runs: {', '.join(f'{r:.2f}' for r in ratios)}; target <= 1.5)"
        )
        print(
            f"    floor, pages prepared but not stored: median {statistics.median(floors):.2f} s, "
            f"ratio {statistics.median(floor_ratios):.2f} "
            f"(runs: {', '.join(f'{r:.2f}' for r in floor_ratios)})"
        )
        cores = os.cpu_count() or 1
        f_cpu = [statistics.median(c[i] for c in fetch_cpu) for i in range(3)]
        b_cpu = [statistics.median(c[i] for c in build_cpu) for i in range(3)]
        print(
            f"    CPU (median core-seconds): fetch+decode {sum(f_cpu):.2f} (this process "
            f"{f_cpu[0]:.2f}, server {f_cpu[2]:.2f}); buildup {sum(b_cpu):.2f} (sync "
            f"{b_cpu[0]:.2f}, store process {b_cpu[1]:.2f}, server {b_cpu[2]:.2f}); "
            f"{cores} cores give {cores * 1.5 * fetch:.2f} in 1.5x the fetch time, "
            f"{cores * 3 * fetch:.2f} in 3x"
        )
        # What the buildup needs beside fetching and decoding, per entity, against what is left
        # of 3x the reference once the reference's own work is done (both cores busy throughout).
        extra = sum(b_cpu) - sum(f_cpu)
        room = cores * 3 * fetch - sum(f_cpu)
        print(
            f"    CPU per entity beyond fetch+decode: {extra / items * 1e6:.0f} us (of which the "
            f"store process {b_cpu[1] / items * 1e6:.0f} us); 3x the reference leaves "
            f"{room / items * 1e6:.0f} us on {cores} cores"
        )
        indexes = _median([w.get(("all", "indexes"), 0.0) for w in all_waits])
        print(
            f"    building the deferred sort and search indexes at the end: median {indexes:.2f} s"
        )
        for kind in KINDS:
            spent = {
                what: _median([w.get((kind, what), 0.0) for w in all_waits])
                for what in ("next page", "prepare", "tracked", "store")
            }
            print(
                f"    the {kind} thread (median s): waited {spent['next page']:.2f} for the "
                f"next page, prepared pages {spent['prepare']:.2f} (of which reading the keys "
                f"tracked {spent['tracked']:.2f}), waited {spent['store']:.2f} for the store"
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
    p.add_argument("--resources", type=int, default=200_000)
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--only", choices=("a", "b"))
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the sync's skip and retry lines are not figures
    sizes = {"services": args.services, "carriers": args.carriers, "resources": args.resources}
    if args.only in (None, "a"):
        bench_fetch_ratio(sizes, args.runs, args.concurrency, args.page_size)
    if args.only in (None, "b"):
        bench_latency(args.runs, args.page_size)


if __name__ == "__main__":
    main()
