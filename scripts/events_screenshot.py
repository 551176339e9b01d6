"""Screenshots of changes arriving by event (SPEC §10), as `make demo` shows them: the dashboard
with events live and the Changes feed with the event run's revisions.

    .venv/bin/python scripts/events_screenshot.py [--out screenshots] [--size 110x32]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the runs' recorder

from app_fixtures import runs_ended

from tui_inventory.app.main import InventoryApp
from tui_inventory.config import Config
from tui_inventory.secrets import EVENTS_TOKEN_ENV
from tui_inventory.simulator import Simulator


async def shoot(out: Path, size: tuple[int, int]) -> None:
    os.environ.setdefault(EVENTS_TOKEN_ENV, "screenshot-token")
    sim = Simulator(services=600, carriers=150, resources=3000, seed=1)
    with sim, tempfile.TemporaryDirectory(prefix="tui-inventory-events-") as tmp:
        cfg = Config(path=Path(tmp) / "config.toml")
        for name, value in sim.settings("ses").items():
            cfg.set(name, value)
        cfg.set("events.enabled", True)
        cfg.set("events.listen", "127.0.0.1:0")
        app = InventoryApp(
            cfg, str(Path(tmp) / "inventory.db"), passwords=sim.passwords.get, autostart=False
        )
        ended = runs_ended(app)
        async with app.run_test(size=size, message_hook=ended) as pilot:
            await pilot.press("b")
            deadline = time.monotonic() + 120
            while len(ended) < 1 and time.monotonic() < deadline:
                await pilot.pause(0.1)
            sim.events.start_changes(5, total=40)
            while sim.events.log.sent < 40 and time.monotonic() < deadline:
                await pilot.pause(0.1)
            await pilot.pause(1.5)
            app.refresh_data(now=True)
            await pilot.pause(1.0)
            for name, tab, title in (
                ("events-dashboard", "tab-dashboard", "dashboard with events live"),
                ("events-changes", "tab-changes", "the Changes feed as events arrive"),
            ):
                app.main_screen.show_tab(tab)
                await pilot.pause(1.0)
                path = out / f"{name}.svg"
                path.write_text(app.export_screenshot(title=f"tui-inventory: {title}"))
                print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "screenshots"))
    parser.add_argument("--size", default="110x32", help="terminal size, COLUMNSxROWS")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    logging.disable(logging.WARNING)
    asyncio.run(shoot(Path(args.out), (columns, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
