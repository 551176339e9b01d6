"""Safe deletes under hostile upstreams: a listing that suddenly comes back empty, and gaps anywhere
in a buildup (first page, middle, last, the empty page that ends it, the part before a resume).

The rule tests prove the guard and the gap rule once (tests/unit/test_sync_rules.py); these push them to
the cases an operator meets: 10,000 instances at stake, every position of a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import cancel_at
from hostile import new_entity, snapshot

from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine

MakeEngine = Callable[..., SyncEngine]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The delete decisions are the engine's, the same on both backends: a SQLite file."""
    s = Store(str(tmp_path / "inventory.db"))
    yield s
    s.close()


@pytest.mark.slow
def test_an_empty_listing_for_a_type_of_10000_is_held_back_until_it_is_real(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=20, carriers=10_000, resources=20)
    settings = {"sync.records_per_page": 500, "sync.page_concurrency": 4}
    engine = make_engine(sim, store, **settings)
    assert engine.run("buildup").ok
    assert store.count("carriers") == 10_000
    before = snapshot(store)

    sim.faults.add("carriers", 1, "empty", times=-1)  # the gateway suddenly lists nothing
    events: list[Any] = []
    engine.on_event = events.append
    first = engine.run("buildup")
    again = engine.run("buildup")  # asking again changes nothing: still held, still all there

    for result in (first, again):
        carriers = result.types["carriers"]
        assert carriers.state == "held"
        assert carriers.reason == (
            "cleanup held back: it would remove 10000 of 10000 carriers (more than 50%); "
            "confirm it to proceed"
        )
        assert result.state == "partial"
        assert not result.ok
    assert snapshot(store) == before
    held = store.held_cleanups()["carriers"]
    assert (held.would_remove, held.total, held.scope) == (10_000, 10_000, "buildup")
    held_events = [(e.would_remove, e.total) for e in events if isinstance(e, ev.CleanupHeld)]
    assert held_events == [(10_000, 10_000)] * 2
    assert not any(isinstance(e, ev.CleanupDone) and e.kind == "carriers" for e in events)

    sim.faults.clear()  # the gateway recovers: the next buildup finds everything, removes nothing
    settled = engine.run("buildup")
    assert settled.ok, settled.reason
    assert settled.types["carriers"].counters.removed == 0
    assert store.held_cleanups() == {}
    assert snapshot(store) == before


GAP_PAGES = {"first": 1, "middle": 3, "last-full": 5, "the-empty-end-page": 6}


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("where", list(GAP_PAGES))
def test_a_gap_anywhere_in_a_buildup_prevents_the_cleanup(
    where: str, concurrency: int, make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    # 100 carriers at 20 a page: pages 1-5 are full, the empty page 6 ends the listing.
    sim = make_sim(services=20, carriers=100, resources=20)
    engine = make_engine(sim, store, **{"sync.page_concurrency": concurrency})
    assert engine.run("buildup").ok
    before = snapshot(store)
    gone = sorted(sim.dataset.expected_keys("carriers"))[40]
    sim.dataset.remove("carriers", gone)
    sim.dataset.add("carriers", new_entity(sim.dataset, "carriers", "CAR-NEW-1"))  # 5 full pages
    page = GAP_PAGES[where]
    sim.faults.add("carriers", page, "504", times=-1)

    result = engine.run("buildup")

    carriers = result.types["carriers"]
    assert carriers.state == "partial"
    assert carriers.reason == "1 page(s) missing (gaps); no cleanup; the next run reads them again"
    assert [(g["kind"], g["page"]) for g in store.gaps(result.run_id)] == [("carriers", page)]
    assert gone in store.keys("carriers")
    assert {k for (kind, k) in before if kind == "carriers"} <= store.keys("carriers")
    assert store.buildup("carriers") is None  # done with gaps: the next buildup starts afresh


@pytest.mark.parametrize("recovered", [False, True])
def test_a_gap_before_an_interruption_is_read_again_on_the_resume(
    recovered: bool, make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=20, carriers=100, resources=20)
    engine = make_engine(sim, store, **{"sync.page_concurrency": 1})
    assert engine.run("buildup").ok
    gone = sorted(sim.dataset.expected_keys("carriers"))[-1]
    sim.dataset.remove("carriers", gone)
    sim.faults.add("carriers", 2, "504", times=-1)

    cancel_at(engine, "carriers", 3)
    interrupted = engine.run("buildup")
    assert interrupted.types["carriers"].state == "cancelled"
    if recovered:
        sim.faults.clear()  # page 2 answers now: the resume reads it before its resume point

    engine.on_event = lambda event: None
    resumed = engine.run("auto")

    assert resumed.mode == "buildup"
    carriers = resumed.types["carriers"]
    if recovered:  # every page read in this buildup: its cleanup runs
        assert carriers.state == "succeeded", carriers.reason
        assert gone not in store.keys("carriers")
        assert store.keys("carriers") == sim.dataset.expected_keys("carriers")
        assert store.open_gaps("carriers") == []
    else:
        assert carriers.state == "partial"
        assert carriers.reason == (
            "1 page(s) missing (gaps); no cleanup; the next run reads them again"
        )
        assert gone in store.keys("carriers")
        assert [g["page"] for g in store.open_gaps("carriers")] == [2]


def test_a_gap_in_an_update_keeps_the_services_it_would_have_removed(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    victim = sorted(
        r.key for r in store.iter_instances("services") if r.status.lower() == "operational"
    )[0]
    sim.dataset.set_field("services", victim, "Status", "Retired")
    sim.dataset.tick()
    non_operational = store.count_non_operational("services")
    assert non_operational > 0
    sim.faults.add("services", 1, "504", times=-1)

    result = engine.run("update")

    services = result.types["services"]
    assert services.state == "partial"
    assert services.reason == "1 page(s) missing (gaps); no cleanup; the next run reads them again"
    assert store.count_non_operational("services") == non_operational
    assert victim in store.keys("services")
