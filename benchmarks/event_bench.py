"""Event latency (SPEC §9, §10): from an event's arrival at the listener to its revision stored,
p50 and p99, with the simulator changing `--rate` instances a second (target: p99 under 1 s at
100 events/s).

Real parts throughout: the simulator POSTs each event over loopback HTTP to the listener, the
stream reads the instance back over HTTP and commits it to a SQLite file (or `--db` URL). The
latency is taken per event at its commit (`EventStream.latencies`), so it includes the queue,
the read-back and the transaction.

    python benchmarks/event_bench.py [--rate 100] [--events 2000] [--db postgresql://…]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tui_inventory.config import Config
from tui_inventory.events.service import EventService
from tui_inventory.simulator import Simulator
from tui_inventory.store.lease import SyncLease
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine

TOKEN = "bench-token-not-secret"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument(
        "--db", help="a store URL (default: a SQLite file in a temporary directory)"
    )
    args = parser.parse_args()
    with (
        Simulator(services=2000, carriers=300, resources=5000) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        cfg = Config()
        for name, value in sim.settings("ses").items():
            cfg.set(name, value)
        cfg.set("events.listen", "127.0.0.1:0")
        with Store(args.db or str(Path(tmp) / "bench.db")) as store:
            SyncEngine(cfg, store, passwords=sim.passwords.get).run("buildup")
            lease = SyncLease(store)
            lease.acquire()
            service = EventService(
                cfg, store, passwords=sim.passwords.get, lease_holder=lease.holder, token=TOKEN
            ).start()
            started = time.monotonic()
            sim.events.start_changes(args.rate, total=args.events).join()
            sim.events.wait_sent(60)
            stream = service.stream
            deadline = time.monotonic() + 60
            while stream.stats.applied + stream.stats.failed < stream.stats.received:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            latencies = list(stream.latencies)
            service.stop()
            lease.release()
    if not latencies:
        print("no event was applied", file=sys.stderr)
        return 1
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(
        f"{len(latencies)} events at {args.rate:g}/s over {elapsed:.1f} s "
        f"(failed {stream.stats.failed}): arrival to stored revision "
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )
    verdict = "meets" if p99 < 1.0 else "MISSES"
    print(f"SPEC §9 target p99 < 1 s: {verdict}")
    return 0 if p99 < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
