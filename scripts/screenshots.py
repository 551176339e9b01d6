"""Regenerate screenshots/*.svg from the real console, driven by Pilot against the simulator.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--size 110x32]

Shots: the dashboard during a buildup, a searched table, an instance with its history (after an
update changed it upstream), the settings, the verify report after the upstream drifted, and a
held-back cleanup's dialog with its list. Each is taken from the running app, never drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the runs' recorder

from app_fixtures import runs_ended
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from tui_inventory.app.cleanup import CleanupDialog
from tui_inventory.app.instance import InstanceScreen
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.app.verify import VerifyReportScreen
from tui_inventory.config import Config
from tui_inventory.simulator import Simulator
from tui_inventory.simulator.drift import drift

CHANGED = "SVC-000000"  # the service whose history the instance shot shows
SEARCH = "Aero"


async def wait_for(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await pilot.pause(0.05)


def percent(progress: str) -> int:
    found = re.search(r"(\d+)% of", progress)
    return int(found.group(1)) if found else -1


def save(app: InventoryApp, out: Path, name: str, title: str) -> None:
    path = out / f"{name}.svg"
    path.write_text(app.export_screenshot(title=title), encoding="utf-8")
    print(f"wrote {path}")


async def shoot(out: Path, size: tuple[int, int]) -> None:
    sim = Simulator(services=600, carriers=120, resources=3000, seed=3, latency_ms=120)
    with sim, tempfile.TemporaryDirectory(prefix="tui-inventory-shots-") as tmp:
        cfg = Config(path=Path(tmp) / "config.toml")
        # The TM Forum dialect reports totals, so the progress bars show a percentage and ETA.
        for name, value in sim.settings("tmf630").items():
            cfg.set(name, value)
        cfg.set("sync.records_per_page", 50)
        app = InventoryApp(
            cfg, str(Path(tmp) / "inventory.db"), passwords=sim.passwords.get, autostart=False
        )
        ended = runs_ended(app)
        async with app.run_test(size=size, message_hook=ended) as pilot:
            await pilot.press("b")
            resources = app.dashboard.panel("resources")
            await wait_for(
                pilot, lambda: percent(resources.progress) >= 30, "the resources buildup"
            )
            save(app, out, "dashboard-buildup", "tui-inventory: dashboard during a buildup")
            sim.latency_ms = 0
            await wait_for(pilot, lambda: len(ended) == 1, "the buildup to end")

            # An upstream change, fetched by an update, gives the instance a history.
            sim.dataset.set_field("services", CHANGED, "Description", "Upgraded to 50 Mbps CIR")
            sim.dataset.set_characteristic("services", CHANGED, "CIR_Mbps", 50)
            await pilot.press("u")
            await wait_for(pilot, lambda: len(ended) == 2, "the update to end")
            app.refresh_data(now=True)
            await pilot.pause(0.5)

            await pilot.press("tab")
            await pilot.press("slash")
            await pilot.press(*SEARCH)
            await pilot.pause(1.0)
            save(app, out, "table-search", f"tui-inventory: services searched for {SEARCH!r}")
            await pilot.press("escape")

            app.push_screen(InstanceScreen("services", CHANGED))
            await pilot.pause(1.0)
            for body in app.screen.query(VerticalScroll):  # down to the revision history
                body.scroll_end(animate=False)
            await pilot.pause(0.3)
            save(app, out, "instance-history", f"tui-inventory: service {CHANGED} and its history")
            app.pop_screen()
            await pilot.pause()

            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
            await pilot.pause(1.0)
            save(app, out, "settings", "tui-inventory: settings")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main_screen, "the dashboard")

            # Upstream drifts: the verify report finds exactly that.
            drift(sim.dataset)
            await pilot.press("v")
            await wait_for(
                pilot, lambda: isinstance(app.screen, VerifyReportScreen), "the verify report"
            )
            await pilot.pause(0.5)
            save(app, out, "verify-report", "tui-inventory: verify report")
            app.pop_screen()
            await pilot.pause()

            # Most carriers gone upstream: the buildup holds its cleanup back for a decision.
            for key in sorted(sim.dataset.expected_keys("carriers"))[:90]:
                sim.dataset.remove("carriers", key)
            await pilot.press("b")
            await wait_for(pilot, lambda: len(ended) == 3, "the second buildup to end")
            await wait_for(pilot, lambda: "carriers" in app.held, "the held cleanup")
            app.review_cleanup("carriers")
            await wait_for(pilot, lambda: isinstance(app.screen, CleanupDialog), "the dialog")
            dialog = app.screen
            assert isinstance(dialog, CleanupDialog)
            await wait_for(pilot, lambda: bool(dialog.listed), "the cleanup's list")
            await pilot.pause(0.5)
            save(app, out, "cleanup-dialog", "tui-inventory: a held-back cleanup, listed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "screenshots"))
    parser.add_argument("--size", default="110x32", help="terminal size, COLUMNSxROWS")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logging.disable(logging.WARNING)  # the engine's skip warnings would clutter the output
    asyncio.run(shoot(out, (columns, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
