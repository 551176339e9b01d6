"""Regenerate screenshots/*.svg from the real console, driven by Pilot against the simulator.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--size 110x32] [NAME ...]

Shots (all, or the NAMEs given): the dashboard during a buildup, a searched table, an instance with
its history (after an update changed it upstream), the settings, the verify report after the
upstream drifted, a held-back cleanup's dialog with its list, and changes arriving by event (the
dashboard, the Changes feed). Each is taken from the running app, never drawn. The scenes are
tests/console/scenes.py, which the snapshot tests (tests/console/test_snapshots.py) share.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for where in (ROOT, ROOT / "tests", ROOT / "tests" / "console"):
    sys.path.insert(0, str(where))

from scenes import SHOTS  # noqa: E402  (tests/console/scenes.py)

from tui_inventory.secrets import EVENTS_TOKEN_ENV  # noqa: E402
from tui_inventory.simulator import Simulator  # noqa: E402


async def shoot(out: Path, size: tuple[int, int], names: list[str]) -> None:
    os.environ.setdefault(EVENTS_TOKEN_ENV, "screenshot-token")
    for name in names:
        shot = SHOTS[name]
        sim = Simulator(services=600, carriers=120, resources=3000, seed=3)
        with sim, tempfile.TemporaryDirectory(prefix="tui-inventory-shots-") as tmp:
            app = shot.app(sim, Path(tmp))
            async with app.run_test(size=size) as pilot:
                await shot.run(pilot, sim)
                path = out / f"{name}.svg"
                path.write_text(
                    app.export_screenshot(title=f"tui-inventory: {shot.title}"), encoding="utf-8"
                )
                print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--size", default="110x32", help="terminal size, COLUMNSxROWS")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {', '.join(SHOTS)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SHOTS]
    if unknown:
        parser.error(f"no shot {', '.join(unknown)}; the shots: {', '.join(SHOTS)}")
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logging.disable(logging.WARNING)  # the engine's skip warnings would clutter the output
    asyncio.run(shoot(out, (columns, rows), args.names or list(SHOTS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
