"""The Settings screen's events section: the three keys and the callback test (SPEC §10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app
from test_app_settings import open_settings, run_test_connection

from tui_inventory.app.setting_fields import field_id


async def test_the_callback_test_finds_this_hosts_listener(make_sim: Any, tmp_path: Path) -> None:
    sim = make_sim(**SMALL)
    settings = {"events.listen": "127.0.0.1:0", "events.callback_url": None}
    app = make_app(sim, tmp_path, settings=settings, autostart=False)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot, app)
        for key in ("events.enabled", "events.listen", "events.callback_url"):
            assert screen.query_one(f"#{field_id(key)}") is not None
        verdict = await run_test_connection(pilot, screen, "events")
        assert verdict.startswith("✓ Success: http://"), verdict
        assert "reaches this host's listener" in verdict


async def test_the_callback_test_says_when_the_address_answers_from_elsewhere(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)  # something else answers at the callback address: the simulator
    settings = {"events.listen": "127.0.0.1:0", "events.callback_url": sim.base_url}
    app = make_app(sim, tmp_path, settings=settings, autostart=False)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot, app)
        verdict = await run_test_connection(pilot, screen, "events")
        assert verdict.startswith("✗") and "not from this host's listener" in verdict, verdict
