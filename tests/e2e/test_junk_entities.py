"""A page whose entities are partly junk keeps its valid ones (the rest skipped and counted) and
still counts as a gap, so no cleanup runs; fields of the wrong JSON type are stored and shown
readably by the CLI and the console, never a crash. All through the simulator's faults."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from app_fixtures import make_app, screen_text, wait_for
from cli_fixtures import env_with_passwords, run, write_config
from cli_screen_fixtures import results

from tui_inventory.app.instance import InstanceScreen
from tui_inventory.simulator.generate import key_of
from tui_inventory.store.repo import Store

PAGE = 6  # six entities a page: a junk page keeps the first of every three, so two of six


def page_keys(sim: Any, kind: str, number: int) -> list[str]:
    entities, _ = sim.dataset.page(kind, (number - 1) * PAGE, number * PAGE, None)
    return [str(key_of(kind, e)) for e in entities]


def sync(sim: Any, tmp_path: Path, *extra: str) -> Any:
    cfg = write_config(tmp_path / "c.toml", sim, **{"sync.records_per_page": PAGE})
    db = tmp_path / "inv.db"
    return run(
        ["--config", str(cfg), "--db", str(db), "sync", "--once", *extra],
        env_with_passwords(sim, tmp_path),
    )


def test_a_partly_junk_page_keeps_its_valid_entities_and_counts_as_a_gap(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=30, carriers=12, resources=12, faults="services:junk@2x-1")
    done = sync(sim, tmp_path)
    assert done.returncode == 1  # a gap: the run is partial
    assert "Traceback" not in done.stderr
    services = results(done.stdout)["services"]
    assert services["state"] == "partial"
    assert services["received"] == 30 and services["skipped"] == 4
    assert services["created"] == 26  # every valid entity, the two of the junk page included
    assert (
        "warning: services: skipped: 4 of 6 entities on page 2 are not JSON objects" in done.stdout
    )
    keys = page_keys(sim, "services", 2)
    with Store(str(tmp_path / "inv.db")) as store:
        stored = store.keys("services")
        (gap,) = [g for g in store.gaps() if g["kind"] == "services"]
    assert {keys[0], keys[3]} <= stored  # the page's two objects
    assert not {keys[1], keys[2], keys[4], keys[5]} & stored
    assert "4 of 6 entities on page 2 are not JSON objects" in gap["reason"]


def test_a_junk_page_keeps_the_cleanup_from_removing_what_it_hid(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=30, carriers=12, resources=12)
    assert sync(sim, tmp_path).returncode == 0
    with Store(str(tmp_path / "inv.db")) as store:
        before = store.keys("services")
    sim.faults.add("services", 2, "junk", -1)
    done = sync(sim, tmp_path, "--buildup")  # a buildup's cleanup removes what it did not see
    assert done.returncode == 1
    assert results(done.stdout)["services"]["removed"] == 0
    with Store(str(tmp_path / "inv.db")) as store:
        assert store.keys("services") == before


def test_fields_of_the_wrong_type_are_stored_and_shown_readably(
    make_sim: Any, tmp_path: Path
) -> None:
    faults = ",".join(f"{kind}:wrong-types@1x-1" for kind in ("services", "carriers", "resources"))
    sim = make_sim(services=12, carriers=12, resources=12, faults=faults)
    done = sync(sim, tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    db = str(tmp_path / "inv.db")
    env = env_with_passwords(None, tmp_path)
    key = page_keys(sim, "services", 1)[0]
    for kind in ("services", "carriers", "resources"):
        exported = run(["--db", db, "export", kind, "--format", "json"], env)
        assert exported.returncode == 0, exported.stderr
        first_page = set(page_keys(sim, kind, 1))
        rows = [row for row in json.loads(exported.stdout) if row["id"] in first_page]
        assert rows and all(row["name"] == "12345" for row in rows)
        other = rows[0]["fields"]["Other Fields"]
        # the status object and the list in place of an object are kept as they came
        assert {"code": "Operational", "since": "2026-01-01"} in other.values()
        assert run(["--db", db, "export", kind], env).returncode == 0
    history = run(["--db", db, "history", "services", key], env)
    assert history.returncode == 0, history.stderr
    assert re.search(r'Other Fields › Status:  → \{"code": "Operational"', history.stdout)
    assert "Name:  → 12345" in history.stdout


async def test_the_console_shows_an_instance_with_fields_of_the_wrong_type(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=12, carriers=12, resources=12, faults="services:wrong-types@1x-1")
    app = make_app(sim, tmp_path, autostart=False, settings={"sync.records_per_page": PAGE})
    key = page_keys(sim, "services", 1)[0]
    async with app.run_test(size=(120, 50)) as pilot:
        app.start_sync("buildup")
        await wait_for(pilot, lambda: bool(app.store.runs(1)) and not app.sync.running, 30)
        await app.push_screen(InstanceScreen("services", key))
        # the status object, shown as JSON text
        await wait_for(pilot, lambda: '"code": "Operational"' in screen_text(app), 10)
        text = screen_text(app)
        assert "Name" in text and "12345" in text
        assert key in text
