"""During a buildup each card's "stored" figure keeps up with what the run "created": the store
is read at most twice a second, but what the run created is stored already."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app_fixtures import make_app, runs_ended, wait_for

from tui_inventory.app.panel import InventoryPanel

FIGURES = re.compile(r"(\d+) stored · this run so far:\nreceived \d+, created (\d+)")


async def test_stored_never_trails_created_during_a_buildup(make_sim: Any, tmp_path: Path) -> None:
    sim = make_sim(services=1200, carriers=40, resources=100, seed=3, latency_ms=30)
    app = make_app(sim, tmp_path, settings={"sync.records_per_page": 20})
    ended = runs_ended(app)
    async with app.run_test(size=(100, 40), message_hook=ended) as pilot:
        seen: list[tuple[int, int]] = []

        def sample() -> bool:
            panel = app.main_screen.query_one("#panel-services", InventoryPanel)
            found = FIGURES.search(str(panel.query_one(".details").render()))
            if found:
                seen.append((int(found[1]), int(found[2])))
            return len(ended) > 0

        await wait_for(pilot, sample, 60, "the buildup to end")
        assert len(seen) >= 3, seen
        assert all(stored >= created for stored, created in seen), seen
