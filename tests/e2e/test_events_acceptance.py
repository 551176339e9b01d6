"""Issue 16's acceptance: events with faults plus polling leave the store equal to the upstream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_events_stream import settled, start_events, stop_events, wait_for

from tui_inventory.store import events as store_events
from tui_inventory.store.repo import Store


def inventory(
    store: Store, *, operational_services_only: bool = False
) -> dict[tuple[str, str], Any]:
    """Every stored instance as (kind, key) -> its fields; a modem's status aside (it keeps the
    stored one on updates, by rule), a carrier's bandwidth segments aside, and services that are not Operational left out when asked
    (a buildup keeps them; an update removes them)."""
    out: dict[tuple[str, str], Any] = {}
    for kind in ("services", "carriers", "resources"):
        for r in store.iter_instances(kind):
            if operational_services_only and kind == "services" and r.status != "Operational":
                continue
            fields = dict(r.fields)
            if kind == "resources" and r.type.strip().lower().endswith("modem"):
                fields.pop("Status", None)
            # Derived from the stored services' statuses when the carrier was mapped: polling
            # alone leaves it as of then too (an update re-maps only the carriers that changed).
            fields.pop("Bandwidth Segments", None)
            out[(kind, r.key)] = fields
    return out


def test_1000_changes_at_100_a_second_with_faults_then_one_update_equal_the_upstream(
    make_sim: Any, make_engine: Any, tmp_path: Path
) -> None:
    sim = make_sim(
        services=300,
        carriers=60,
        resources=400,
        faults="events:drop=0.1,events:repeat=0.1,events:reorder=0.1",
    )
    store = Store(str(tmp_path / "events.db"))
    assert make_engine(sim, store).run("buildup").ok
    service = start_events(sim, store)
    sim.events.start_changes(100, total=1000).join(30)
    wait_for(settled(service, sim), timeout=60)
    sent = sim.events.log
    stats = service.stream.stats
    stop_events(service)

    assert sent.made == 1000 and sent.dropped > 50 and sent.repeated > 50 and sent.reordered > 50
    assert stats.failed == 0
    assert stats.applied == sent.made - sent.dropped  # each event that arrived, once
    assert stats.duplicates == sent.repeated
    assert store_events.applied_count(store) == stats.applied

    assert make_engine(sim, store).run("update").ok
    reference = Store(str(tmp_path / "reference.db"))
    assert make_engine(sim, reference).run("buildup").ok
    got, want = inventory(store), inventory(reference, operational_services_only=True)
    assert set(got) == set(want)
    differ = [k for k in want if got[k] != want[k]]
    assert differ == [], [
        (k, {f: (got[k].get(f), v) for f, v in want[k].items() if got[k].get(f) != v})
        for k in differ
    ]
    reference.close()
    store.close()
