"""Events end to end over real HTTP both ways: the simulator posts to the listener, the stream
reads each instance back from the simulator and stores it (SPEC §10)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import FAST_RETRY
from sim_fixtures import sim_config

from tui_inventory.events.service import EventService
from tui_inventory.events.stream import StreamStats
from tui_inventory.simulator.generate import is_excluded_type, key_of, resource_type
from tui_inventory.store import events as store_events
from tui_inventory.store.lease import SyncLease
from tui_inventory.store.repo import Store
from tui_inventory.sync.preparation import LOGGED_PER_REASON
from tui_inventory.tmf.mapping import map_entity

TOKEN = "stream-token-6f0d3b9a1c2e"
Running = tuple[Any, Store, EventService]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition was not met in time")
        time.sleep(0.02)


def settled(service: EventService, sim: Any) -> Callable[[], bool]:
    """Every event the simulator sent was answered and every accepted one applied."""
    stream = service.stream

    def done() -> bool:
        s = stream.stats
        return sim.events.wait_sent(0) and s.applied + s.duplicates + s.failed >= s.received

    return done


def start_events(sim: Any, store: Store, *, dialect: str = "ses", version: int = 4) -> EventService:
    cfg = sim_config(sim, dialect=dialect, version=version)
    cfg.set("events.listen", "127.0.0.1:0")
    lease = SyncLease(store)
    lease.acquire()
    service = EventService(
        cfg,
        store,
        passwords=sim.passwords.get,
        lease_holder=lease.holder,
        token=TOKEN,
        retry=FAST_RETRY,
    )
    service.start()
    service._test_lease = lease  # type: ignore[attr-defined]
    return service


def stop_events(service: EventService) -> None:
    service.stop()
    service._test_lease.release()  # type: ignore[attr-defined]


@pytest.fixture
def running(sim: Any, store: Store, make_engine: Any) -> Iterator[Running]:
    assert make_engine(sim, store).run("buildup").ok
    service = start_events(sim, store)
    yield sim, store, service
    stop_events(service)


def test_the_hubs_are_registered_on_both_apis_and_kept_in_the_store(running: Running) -> None:
    sim, store, _service = running
    hubs = store_events.hubs(store)
    assert set(hubs) == {"tmf638", "tmf639"}
    assert {h.id for h in sim.events.hubs.values()} == {hubs["tmf638"][0], hubs["tmf639"][0]}
    for hub in sim.events.hubs.values():
        assert hub.callback.endswith(f"/{TOKEN}")
    assert all(TOKEN not in url for _, url in hubs.values())  # the address, never the callback


def test_a_change_arrives_by_event_with_a_revision_of_the_event_run(running: Running) -> None:
    sim, store, service = running
    made = sim.events.change(8)
    wait_for(settled(service, sim))
    assert service.stream.stats.applied == len(made)
    run = store.runs(1)[0]
    assert run["mode"] == "event" and run["state"] == "running"
    for kind, key in made:
        upstream = sim.dataset.get(kind, key)
        stored = store.get(kind, key)
        status = upstream.get("Status")
        if kind == "services" and status != "Operational":
            assert stored is None
            assert store.revisions(kind, key)[0].change == "removed"
            continue
        assert stored is not None
        assert stored.name == map_entity(kind, upstream).name
        assert any(r.run == run["id"] for r in store.revisions(kind, key))


def test_a_delete_removes_only_when_the_upstream_answers_404(running: Running) -> None:
    sim, store, service = running
    gone, kept = sorted(sim.dataset.expected_keys("resources"))[:2]
    sim.events.remove("resources", gone)
    sim.events.emit("resources", kept, "deleted")  # a delete the upstream does not confirm
    wait_for(settled(service, sim))
    assert store.get("resources", gone) is None
    assert store.revisions("resources", gone)[0].change == "removed"
    assert store.get("resources", kept) is not None
    assert any("still has it" in e["message"] for e in store.log_entries())


def test_a_repeated_event_is_applied_once_even_after_a_restart(
    sim: Any, store: Store, make_engine: Any
) -> None:
    assert make_engine(sim, store).run("buildup").ok
    key = sorted(sim.dataset.expected_keys("resources"))[0]
    body = {
        "eventId": "evt-repeat-1",
        "eventType": "ResourceAttributeValueChangeEvent",
        "event": {"resource": {"Id": key}},
    }
    for _ in range(2):  # two processes' lives: the second remembers the first's eventId
        service = start_events(sim, store)
        assert service.listener is not None
        url = f"http://127.0.0.1:{service.listener.port}/{TOKEN}"
        for _ in range(2):
            assert httpx.post(url, json=body).status_code == 204

        def both_seen(stats: StreamStats = service.stream.stats) -> bool:
            return stats.applied + stats.duplicates >= 2

        wait_for(both_seen)
        stop_events(service)
    assert store_events.applied_count(store) == 1


def test_a_clean_stop_unregisters(sim: Any, store: Store) -> None:
    service = start_events(sim, store)
    assert len(sim.events.hubs) == 2
    stop_events(service)
    assert sim.events.hubs == {}
    assert store_events.hubs(store) == {}


def test_a_restart_drops_the_hub_registered_before(sim: Any, store: Store) -> None:
    first = start_events(sim, store)
    first.listener.stop()  # type: ignore[union-attr]  # a crash: no unregistering
    first.stream.stop()
    first._test_lease.release()  # type: ignore[attr-defined]
    before = set(sim.events.hubs)
    second = start_events(sim, store)
    assert len(sim.events.hubs) == 2 and not before & set(sim.events.hubs)
    stop_events(second)


@pytest.mark.parametrize("version", [4, 5])
def test_tmf630_v4_and_v5_events(
    make_sim: Any, tmp_path: Any, make_engine: Any, version: int
) -> None:
    sim = make_sim(services=40, carriers=10, resources=60)
    store = Store(str(tmp_path / "inv.db"))
    assert make_engine(sim, store, dialect="tmf630", version=version).run("buildup").ok
    service = start_events(sim, store, dialect="tmf630", version=version)
    made = sim.events.change(6)
    wait_for(settled(service, sim))
    assert service.stream.stats.applied == len(made)
    assert service.stream.stats.failed == 0
    stop_events(service)
    store.close()


def test_the_real_providers_shape_posted_to_the_callback_itself(
    make_sim: Any, store: Store, make_engine: Any
) -> None:
    sim = make_sim(services=40, carriers=10, resources=60, faults="events:real")
    assert make_engine(sim, store).run("buildup").ok
    service = start_events(sim, store)
    made = sim.events.change(10)
    wait_for(settled(service, sim))
    assert sim.events.log.statuses == {204: len(made)}
    assert service.stream.stats.applied == len(made)
    assert store_events.applied_count(store) == 0
    stop_events(service)


def test_an_upstream_without_a_hub_is_said_once_and_polling_goes_on(
    sim: Any, store: Store, make_engine: Any
) -> None:
    from tui_inventory.events.hub import HubRegistrar

    cfg = sim_config(sim)
    cfg.set("tmf638.url", sim.base_url + "/no-such-api")
    said: list[str] = []
    hubs = HubRegistrar(
        cfg,
        store,
        passwords=sim.passwords.get,
        callback="http://127.0.0.1:9/x",
        say=lambda level, message: said.append(message),
        retry=FAST_RETRY,
    )
    hubs.register()
    hubs.register()
    assert said.count("TMF638 offers no event hub: polling only") == 1
    assert set(store_events.hubs(store)) == {"tmf639"}
    hubs.unregister()
    assert make_engine(sim, store).run("buildup").ok  # polling as before


def test_a_dropped_delete_is_repaired_by_the_next_buildup(
    make_sim: Any, store: Store, make_engine: Any
) -> None:
    sim = make_sim(services=40, carriers=10, resources=60, faults="events:drop=1")
    assert make_engine(sim, store).run("buildup").ok
    service = start_events(sim, store)
    key = sorted(sim.dataset.expected_keys("resources"))[0]
    sim.events.remove("resources", key)
    assert sim.events.wait_sent(10)
    assert sim.events.log.dropped == 1
    stop_events(service)
    assert store.get("resources", key) is not None  # the event never came
    assert make_engine(sim, store).run("update").ok
    assert store.get("resources", key) is not None  # updates never remove resources
    assert make_engine(sim, store).run("buildup").ok
    assert store.get("resources", key) is None


def test_truncated_events_get_400_and_change_nothing(
    make_sim: Any, store: Store, make_engine: Any
) -> None:
    sim = make_sim(services=40, carriers=10, resources=60, faults="events:truncate=1")
    assert make_engine(sim, store).run("buildup").ok
    before = store.recent_revisions(1)[0].id
    service = start_events(sim, store)
    sim.events.change(5)
    assert sim.events.wait_sent(10)
    assert sim.events.log.statuses == {400: sim.events.log.sent}
    stop_events(service)
    assert service.stream.stats.received == 0
    assert store.recent_revisions(1)[0].id == before


def test_events_for_a_filtered_resource_type_are_logged_a_few_then_counted(
    running: Running,
) -> None:
    """Each event for a filtered resource type (Slot, …) logged a line of the sync log: a flood
    that pushed warnings and results out of view. As the sync does: LOGGED_PER_REASON lines, then
    one line saying the rest are only counted."""
    sim, store, service = running
    filtered = sorted(
        {
            str(key_of("resources", e))
            for e in sim.dataset.items("resources")
            if isinstance(e, dict) and is_excluded_type(resource_type(e)) and key_of("resources", e)
        }
    )
    events = filtered * 3  # (each its own event)
    assert len(events) > LOGGED_PER_REASON + 5, len(events)
    for key in events:
        sim.events.emit("resources", key, "changed")
    wait_for(settled(service, sim))
    wait_for(lambda: service.stream.stats.received >= len(events))
    lines = [e["message"] for e in store.log_entries(limit=1000) if "skipped" in e["message"]]
    one_by_one = [m for m in lines if "event for" in m and "filtered type" in m]
    assert len(one_by_one) == LOGGED_PER_REASON, lines
    assert sum("only counted from now on" in m for m in lines) == 1, lines
