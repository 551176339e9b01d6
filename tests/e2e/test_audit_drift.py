"""The simulator drifts between runs (`simulator.drift`, `POST /admin/drift`): one instance
renamed, one added and one dropped per inventory, and a sync sees exactly that."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tui_inventory import KINDS
from tui_inventory.simulator.drift import drift
from tui_inventory.store.repo import Store


def test_a_drift_is_what_the_next_buildup_stores(
    sim: Any, tmp_path: Any, make_engine: Callable[..., Any]
) -> None:
    with Store(str(tmp_path / "s.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
        before = {k: store.keys(k) for k in KINDS}
        names = {k: {i.key: i.name for i in store.iter_instances(k)} for k in KINDS}
        done = drift(sim.dataset)
        assert make_engine(sim, store).run("buildup", allow_mass_delete=True).ok
        for kind, d in done.items():
            kept = {d.removed} if kind == "services" else set()  # buildups keep services
            assert store.keys(kind) == before[kind] - {d.removed} | {d.added} | kept
            renamed = store.get(kind, d.renamed)
            assert renamed is not None and renamed.name != names[kind][d.renamed]
            assert d.added not in before[kind] and d.removed in before[kind]


def test_the_simulator_drifts_over_http(sim: Any) -> None:
    before = {k: sim.dataset.expected_keys(k) for k in KINDS}
    reply = httpx.post(f"{sim.base_url}/admin/drift", params={"kinds": "resources"})
    assert reply.status_code == 200
    d = reply.json()["resources"]
    assert sim.dataset.expected_keys("resources") == before["resources"] - {d["removed"]} | {
        d["added"]
    }
    assert sim.dataset.expected_keys("services") == before["services"]
    assert httpx.post(f"{sim.base_url}/admin/drift", params={"kinds": "x"}).status_code == 400
