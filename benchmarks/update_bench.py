"""An update of 1,000 changed instances into a store of 1,000,000 (SPEC §9: under 2 s, network
excluded).

The store is filled straight through the store API from the simulator's own dataset (so the
update meets the same keys), then each run changes 1,000 resources upstream and times a real
`update` run of the engine against the simulator on loopback, and a fetch-and-decode-only pass
over the very same update pages; "network excluded" is the difference. Medians of --runs runs.

    python benchmarks/update_bench.py [--instances 1000000] [--changed 1000] [--runs 3] [--keep FILE]
    python benchmarks/update_bench.py --db postgresql://postgres@127.0.0.1/tui_bench_update

--db runs it on a PostgreSQL database of its own (created beforehand, kept for the next run; it
is filled with COPY by benchmarks/loader.py).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tui_inventory.config import Config
from tui_inventory.errors import PageFailed
from tui_inventory.simulator import Simulator
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.sync.pages import PageStream
from tui_inventory.tmf.client import TmfClient
from tui_inventory.tmf.mapping import Mapped, Skip, map_entity

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loader import copy_into

CHUNK = 5000


def _mapped(sim: Simulator, instances: int) -> Iterator[list[Mapped]]:
    """The simulator's resources, mapped (filtered types skipped), a chunk at a time, until
    `instances` distinct ones were given."""
    _, listed = sim.dataset.page("resources", 0, 0)
    offset, seen = 0, set[str]()
    while len(seen) < instances and offset < listed:
        entities, _ = sim.dataset.page("resources", offset, offset + CHUNK)
        offset += CHUNK
        mapped = []
        for raw in entities:
            try:
                m = map_entity("resources", raw)
            except Skip:
                continue
            if m.key not in seen and len(seen) < instances:
                seen.add(m.key)
                mapped.append(m)
        yield mapped


def fill(store: Store, sim: Simulator, instances: int) -> None:
    """Store the simulator's resources until `instances` are stored (filtered types are skipped)."""
    start = time.perf_counter()
    if store.is_postgres:  # COPY (store_page would take most of an hour)
        if store.count("resources"):
            raise SystemExit("the PostgreSQL store is partly filled: drop and create it again")
        copy_into(store.url, "resources", (m for chunk in _mapped(sim, instances) for m in chunk))
        print(f"    store filled (COPY): {store.count('resources'):,} instances")
        return
    for i, mapped in enumerate(_mapped(sim, instances), 1):
        with store.transaction():
            store.store_page("resources", None, mapped)
        if i % 20 == 0:
            n = store.count("resources")
            print(f"    loaded {n:,} ({n / (time.perf_counter() - start):,.0f}/s)", file=sys.stderr)
    print(
        f"    store filled: {store.count('resources'):,} instances in {time.perf_counter() - start:.0f} s"
    )


def fetch_only(sim: Simulator, cfg: Config) -> float:
    start = time.perf_counter()
    with TmfClient(
        "tmf639",
        cfg.url_for("tmf639") or "",
        cfg.username_for("tmf639"),
        sim.passwords["tmf639"],
        page_size=cfg.sync.records_per_page,
        concurrency=cfg.sync.page_concurrency,
    ) as client:
        stream = PageStream(
            client,
            cfg.path_for("resources"),
            1,
            concurrency=cfg.sync.page_concurrency,
            updated_only=True,
        )
        for _, page in stream:
            if isinstance(page, PageFailed):
                raise SystemExit(f"page failed: {page}")
            if page.is_last(client.page_size):
                stream.stop()
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--instances", type=int, default=1_000_000)
    p.add_argument("--changed", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", metavar="FILE", help="keep (and reuse) the filled store in FILE")
    p.add_argument("--db", metavar="URL", help="a PostgreSQL database of its own (kept)")
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the sync's skip and retry lines are not figures

    # Enough resources upstream that, less the filtered types, the store reaches --instances.
    sim = Simulator(
        services=10, carriers=10, resources=int(args.instances * 1.15) + 1000, latency_ms=0
    )
    with tempfile.TemporaryDirectory() as tmp, sim:
        db = args.db or args.keep or str(Path(tmp) / "million.db")
        with Store(db) as store:
            print(f"update of {args.changed} changed instances into a store of {args.instances:,}")
            if store.count("resources") < args.instances:
                fill(store, sim, args.instances)
            keys = sorted(store.keys("resources"))
            cfg = Config()
            for name, value in sim.settings("ses").items():
                cfg.set(name, value)
            engine = SyncEngine(cfg, store, passwords=sim.passwords.get)
            totals, fetches, nets = [], [], []
            stamp = time.time_ns()  # (a kept store already holds the last invocation's changes)
            for run in range(args.runs):
                sim.dataset.tick()
                sim.dataset.tick()  # earlier changes fall out of "the last 24 hours"
                step = max(1, len(keys) // args.changed)
                chosen = keys[run : run + step * args.changed : step][: args.changed]
                for key in chosen:
                    sim.dataset.set_field(
                        "resources", key, "Description", f"changed in run {run} of {stamp}"
                    )
                fetch = fetch_only(sim, cfg)
                start = time.perf_counter()
                result = engine.run("update", kinds=("resources",))
                total = time.perf_counter() - start
                c = result.types["resources"].counters
                assert result.ok and c.updated == len(chosen), (result.reason, c)
                totals.append(total)
                fetches.append(fetch)
                nets.append(total - fetch)
                print(
                    f"    run {run + 1}: update {total:.2f} s, of which fetch+decode {fetch:.2f} s; {c.updated} updated"
                )
            print(
                f"    median update {statistics.median(totals):.2f} s; fetch+decode {statistics.median(fetches):.2f} s"
            )
            print(f"    network excluded: median {statistics.median(nets):.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
