"""A buildup tells most keys new without reading the store (`sync.seen`): the repeats it must
skip are still skipped, within a run and across a resume."""

from __future__ import annotations

from typing import Any

from conftest import cancel_at

from tui_inventory.store.repo import Store
from tui_inventory.sync.seen import SeenKeys


def test_seen_keys_never_miss_a_key_added() -> None:
    seen = SeenKeys()
    added = [f"K{i}" for i in range(50_000)]
    seen.add(added)
    assert seen.maybe(added) == added
    fresh = [f"N{i}" for i in range(50_000)]
    assert len(seen.maybe(fresh)) < 50  # a few false positives, looked up in the store


def test_a_resumed_buildup_skips_repeats_of_keys_stored_before_it_was_interrupted(
    make_sim: Any, store: Store, make_engine: Any
) -> None:
    # duplicates=4: resources 1 and 8 (page 1 of 10) come again as entities 118 and 125
    sim = make_sim(resources=230, duplicates=4)
    engine = make_engine(sim, store, **{"sync.records_per_page": 10})
    cancel_at(engine, "resources", 2)
    assert engine.run("buildup").types["resources"].state == "cancelled"
    interrupted = store.buildup("resources")
    assert interrupted is not None and 3 <= interrupted.next_page <= 12

    engine.on_event = lambda event: None
    resumed = engine.run("buildup")

    assert resumed.ok, resumed.reason
    assert store.keys("resources") == sim.dataset.expected_keys("resources")
    names = [r.name for r in store.iter_instances("resources")]
    assert not [n for n in names if "(duplicate)" in n]  # the first occurrence kept
    assert resumed.types["resources"].counters.updated == 0
