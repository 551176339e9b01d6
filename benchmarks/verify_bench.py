"""Verify speed and memory (SPEC §9, §11), measured as a ratio within one run.

A verify of N resources against a buildup of the same data, both reading the SPEC §9 reference
server (`verify_reference.py`: the simulator's pages rendered to bytes once, served by the
standard library's ThreadingHTTPServer in a process of its own). Each run builds a fresh store
up, then verifies it; each contender runs in a fresh process of its own, so its peak memory
(max RSS) is its own. Target: verify within 1.2x of the buildup. Medians of --runs runs.

    python benchmarks/verify_bench.py [--runs 3] [--resources 200000] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from verify_reference import reference_server

from tui_inventory.config import Config
from tui_inventory.store.readonly import ReadOnlyStore
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.sync.verify import Verifier

KINDS = ("resources",)


def config_of(settings: dict[str, Any], concurrency: int, page_size: int) -> Config:
    cfg = Config()
    for name, value in settings.items():
        cfg.set(name, value)
    cfg.set("sync.page_concurrency", concurrency)
    cfg.set("sync.records_per_page", page_size)
    return cfg


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, since ru_maxrss keeps the peak of the process that forked
    it across exec (the driver's, which would hide the contender's own)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """One contender, in this fresh process; prints its seconds and peak memory as JSON."""
    logging.basicConfig(level=logging.ERROR)
    cfg = config_of(json.loads(args.settings), args.concurrency, args.page_size)
    passwords = lambda api: "unused"  # noqa: E731 (the reference server checks none)
    out: dict[str, Any] = {}
    if args.child == "buildup":
        with Store(args.db) as store:
            start = time.perf_counter()
            result = SyncEngine(cfg, store, passwords=passwords).run("buildup", kinds=KINDS)
            out["seconds"] = time.perf_counter() - start
            out["ok"] = result.ok
            out["instances"] = store.count("resources")
    else:
        store = ReadOnlyStore(args.db)
        try:
            start = time.perf_counter()
            report = Verifier(cfg, store, passwords=passwords).run(KINDS)
            out["seconds"] = time.perf_counter() - start
            out["ok"] = report.identical
            out["instances"] = report.inventories["resources"].checked
        finally:
            store.close()
    out["max_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def contender(which: str, db: Path, settings: dict[str, Any], args: argparse.Namespace) -> Any:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        which,
        "--db",
        str(db),
        "--settings",
        json.dumps(settings),
        "--concurrency",
        str(args.concurrency),
        "--page-size",
        str(args.page_size),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{which} failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["ok"]:
        raise SystemExit(f"{which} did not succeed (or found differences): {result}")
    return result


def _list(values: Any) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--resources", type=int, default=200_000)
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--child", choices=("buildup", "verify"), help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--settings", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return
    print(
        f"verify vs buildup: {args.resources} resources, page size {args.page_size}, "
        f"concurrency {args.concurrency}, {args.runs} runs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        pages = Path(tmp) / "pages"
        start = time.perf_counter()
        render = [sys.executable, str(Path(__file__).with_name("verify_reference.py")), "render"]
        render += [
            str(pages),
            "--resources",
            str(args.resources),
            "--page-size",
            str(args.page_size),
        ]
        subprocess.run(render, check=True)  # (in a process of its own: the simulator is big)
        print(f"    pages rendered once by the simulator in {time.perf_counter() - start:.1f} s")
        builds, verifies, ratios = [], [], []
        with reference_server(pages) as (settings, _pid):
            for run in range(args.runs):
                db = Path(tmp) / f"run-{run}.db"
                b = contender("buildup", db, settings, args)
                v = contender("verify", db, settings, args)
                builds.append(b)
                verifies.append(v)
                ratios.append(v["seconds"] / b["seconds"])
                for f in Path(tmp).glob(db.name + "*"):
                    f.unlink()
        b_med = statistics.median(b["seconds"] for b in builds)
        v_med = statistics.median(v["seconds"] for v in verifies)
        print(
            f"    buildup: median {b_med:.2f} s for {builds[0]['instances']} stored "
            f"(runs: {_list(b['seconds'] for b in builds)}); "
            f"peak memory {max(b['max_rss_mb'] for b in builds):.0f} MB"
        )
        print(
            f"    verify:  median {v_med:.2f} s for {verifies[0]['instances']} checked "
            f"(runs: {_list(v['seconds'] for v in verifies)}); "
            f"peak memory {max(v['max_rss_mb'] for v in verifies):.0f} MB"
        )
        print(
            f"    ratio verify / buildup: median {statistics.median(ratios):.2f} "
            f"(runs: {_list(ratios)}; target <= 1.2)"
        )


if __name__ == "__main__":
    main()
