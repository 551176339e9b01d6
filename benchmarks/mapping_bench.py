"""Mapping speed: `map_entity` over the simulator's dataset, in entities per second.

The input is generated here, without a server: the simulator's entities for each inventory, rendered
in the chosen shape and encoded as page bodies, decoded as a sync decodes them. `--against REV`
also loads the mapping modules as they are at git revision REV and times both in the same run,
alternating, so the comparison shares the machine's noise. Times are CPU time of this process
(mapping is CPU-bound and single-threaded, and on a shared machine wall time mostly measures the
neighbours). Each figure is the median of --runs.

    python benchmarks/mapping_bench.py [--runs 5] [--shape ses|v4|v5] [--against HEAD~1]
        [--services 4000 --carriers 1000 --resources 20000]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from tui_inventory import KINDS
from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.render import encode, render
from tui_inventory.tmf import mapping

PAGE_SIZE = 50
SHAPES = {"ses": ("ses", None), "v4": ("tmf630", 4), "v5": ("tmf630", 5)}
# The modules map_entity depends on (tmf/ imports nothing outside itself for mapping).
_MAPPING_MODULES = ("mapping", "fields", "members", "structures", "carriers", "definitions")


def pages(sizes: dict[str, int], version: int | None) -> dict[str, list[bytes]]:
    """kind → page bodies, as the simulator would serve them."""
    dataset = Dataset(**sizes, seed=1)
    out: dict[str, list[bytes]] = {}
    for kind in KINDS:
        entities, _ = dataset.page(kind, 0, sizes[kind])
        out[kind] = [
            encode([render(kind, e, version) for e in entities[i : i + PAGE_SIZE]])
            for i in range(0, len(entities), PAGE_SIZE)
        ]
    return out


def baseline(rev: str, into: Path) -> ModuleType:
    """The mapping module as it is at git revision `rev`, imported under another package name."""
    root = Path(__file__).resolve().parent.parent
    package = into / "tmf_baseline"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in _MAPPING_MODULES:
        source = subprocess.run(
            ["git", "-C", str(root), "show", f"{rev}:tui_inventory/tmf/{name}.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(into))
    return importlib.import_module("tmf_baseline.mapping")


def run_once(module: Any, data: dict[str, list[bytes]], dialect: str) -> dict[str, float]:
    """Seconds per kind to map every entity (the engine's call, with a service-status lookup).

    Each page is decoded just before it is mapped, untimed, as in a sync: mapping then reads
    objects that are fresh in the CPU's caches, not 25,000 entities decoded long before.
    """
    map_entity, skip = module.map_entity, module.Skip
    statuses = {"BWS-000000": "Operational"}.get
    out: dict[str, float] = {}
    for kind in KINDS:
        elapsed = 0.0
        for body in data[kind]:
            page = json.loads(body)
            start = time.process_time()
            for raw in page:
                try:
                    map_entity(kind, raw, dialect=dialect, service_status=statuses)
                except skip:
                    pass
            elapsed += time.process_time() - start
        out[kind] = elapsed
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--shape", choices=tuple(SHAPES), default="ses")
    p.add_argument("--against", metavar="REV", help="also time the mapping at git revision REV")
    p.add_argument("--services", type=int, default=4000)
    p.add_argument("--carriers", type=int, default=1000)
    p.add_argument("--resources", type=int, default=20000)
    args = p.parse_args()
    sizes = {"services": args.services, "carriers": args.carriers, "resources": args.resources}
    dialect, version = SHAPES[args.shape]
    data = pages(sizes, version)
    counts = {kind: sum(len(json.loads(body)) for body in data[kind]) for kind in KINDS}
    with tempfile.TemporaryDirectory() as tmp:
        variants: dict[str, Any] = {"this tree": mapping}
        if args.against:
            variants = {args.against: baseline(args.against, Path(tmp)), **variants}
        times: dict[str, list[dict[str, float]]] = {label: [] for label in variants}
        for _ in range(args.runs):
            for label, module in variants.items():
                times[label].append(run_once(module, data, dialect))
    print(f"map_entity, {args.shape} shape, {sizes}; median of {args.runs} runs (entities/s):")
    totals: dict[str, float] = {}
    for label, runs in times.items():
        per_kind = {kind: statistics.median(r[kind] for r in runs) for kind in KINDS}
        totals[label] = statistics.median(sum(r.values()) for r in runs)
        cells = "  ".join(f"{kind} {counts[kind] / per_kind[kind]:>9,.0f}" for kind in KINDS)
        total = sum(counts.values()) / totals[label]
        print(f"  {label:12s} {cells}  total {total:>9,.0f}  ({totals[label]:.3f} s)")
    if args.against:
        print(f"  speed-up: {totals[args.against] / totals['this tree']:.2f}x")


if __name__ == "__main__":
    main()
