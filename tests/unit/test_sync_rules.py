"""The sync rules of SPEC §3–§5, against the simulator over real HTTP and a real store: each test
runs on a SQLite file and on a fresh PostgreSQL database (see tests/pg_fixtures.py)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import cancel_at

from tui_inventory import KINDS
from tui_inventory.errors import LeaseHeld, SecretsError
from tui_inventory.store.lease import SyncLease
from tui_inventory.store.repo import Store
from tui_inventory.sync import engine as engine_module
from tui_inventory.sync import events as ev
from tui_inventory.sync.confirm import confirm_absence
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.sync.store_process import StoreProcess
from tui_inventory.sync.writer import PreparedPage, StreamSpec, ThreadSink
from tui_inventory.tmf.mapping import Mapped
from tui_inventory.tmf.structures import is_operational

MakeEngine = Callable[..., SyncEngine]


def stored(store: Store, kind: str) -> set[str]:
    return store.keys(kind)


def snapshot(store: Store) -> dict[str, dict[str, str]]:
    inst = store.m.instance
    out: dict[str, dict[str, str]] = {k: {} for k in KINDS}
    for kind, key, digest in inst.select(inst.kind, inst.key, inst.digest).tuples():
        out[kind][key] = digest
    return out


def test_buildup_stores_every_expected_instance(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    result = make_engine(sim, store).run("buildup")
    assert result.ok, result.reason
    for kind in KINDS:
        assert stored(store, kind) == sim.dataset.expected_keys(kind)
        c = result.types[kind].counters
        assert c.created == len(sim.dataset.expected_keys(kind))
        assert c.received == len(sim.dataset.items(kind))
    assert store.has_completed_buildup()
    assert store.buildups() == {}
    assert store.tracked_count("carriers") == 0


def test_a_carriers_supporting_service_without_a_status_counts_by_the_stored_services_status(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    """SPEC §4: a bandwidth segment is kept when the supporting service is operational — by its
    own status, else by the status of that service as the buildup stored it."""
    assert make_engine(sim, store).run("buildup").ok
    by_store = 0
    for raw in sim.dataset.items("carriers"):
        carrier = store.get("carriers", raw.get("ExternalId") or raw.get("externalId"))
        if carrier is None:
            continue
        expected = []
        for ref in raw.get("SupportingService") or raw.get("supportingService") or []:
            status = ref.get("status")
            if status is None:
                service = store.get("services", ref["id"])
                status = service.status if service else None
                by_store += service is not None
            if is_operational(status):
                expected.append(ref["id"])
        assert [s["id"] for s in carrier.fields["Bandwidth Segments"]] == expected
    assert by_store > 0


def test_each_stored_page_reports_the_counts_as_of_that_page(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    """Pages are fetched and prepared ahead of storing (4 in flight): the progress of a stored
    page counts what was received up to it, not what the fetching has reached since."""
    events: list[Any] = []
    assert make_engine(sim, store, events=events).run("buildup").ok
    for kind in KINDS:
        received = 0
        stored_pages = [e for e in events if isinstance(e, ev.PageStored) and e.kind == kind]
        assert len(stored_pages) >= 4
        for e in stored_pages:
            received += e.items
            c = e.counters
            assert c.received == received, (kind, e.page)
            assert c.created + c.skipped + c.failed == received, (kind, e.page)


def test_listing_that_is_an_exact_multiple_of_the_page_size(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=100, carriers=40, resources=60)
    events: list[Any] = []
    result = make_engine(sim, store, events=events, **{"sync.records_per_page": 20}).run("buildup")
    assert result.ok
    assert len(sim.dataset.items("services")) % 20 == 0
    assert stored(store, "services") == sim.dataset.expected_keys("services")
    pages = [e.page for e in events if isinstance(e, ev.PageStored) and e.kind == "services"]
    assert pages[-1] == len(sim.dataset.items("services")) // 20 + 1  # the empty page ends it
    assert [e.items for e in events if isinstance(e, ev.PageStored) and e.kind == "services"][
        -1
    ] == 0


def test_null_keys_are_skipped_and_logged(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(null_keys=3)
    result = make_engine(sim, store).run("buildup")
    assert result.ok
    nulls = [
        e for e in sim.dataset.items("carriers") if not (e.get("ExternalId") or e.get("externalId"))
    ]
    assert len(nulls) == 3
    assert stored(store, "carriers") == sim.dataset.expected_keys("carriers")
    assert result.types["carriers"].counters.skipped >= 3
    messages = [e["message"] for e in store.log_entries(1000)]
    assert any("null or empty key" in m and m.startswith("carriers") for m in messages)


def test_duplicates_across_pages_first_occurrence_wins(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(duplicates=4)  # a duplicate carries " (duplicate)" in its name and comes later
    result = make_engine(sim, store).run("buildup")
    assert result.ok
    for kind in KINDS:
        listed = [
            e
            for e in sim.dataset.items(kind)
            if "(duplicate)" in str(e.get("Name") or e.get("name"))
        ]
        assert len(listed) == 4
        assert stored(store, kind) == sim.dataset.expected_keys(kind)
        assert not [r.key for r in store.iter_instances(kind) if "(duplicate)" in r.name]
        assert result.types[kind].counters.skipped >= 4
    # two of the four duplicates of each kind are pages after their original: across pages
    assert any("duplicate key" in e["message"] for e in store.log_entries(1000))


def test_resources_of_filtered_types_are_not_stored(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    result = make_engine(sim, store).run("buildup")
    excluded = {"card", "bandwidthsegment", "logicalport", "multicast", "slot", "port", "circuit"}
    types = {r.type.lower() for r in store.iter_instances("resources")}
    assert types and not types & excluded
    filtered = len(sim.dataset.items("resources")) - len(sim.dataset.expected_keys("resources"))
    assert filtered > 0
    assert result.types["resources"].counters.skipped >= filtered


def _modem_keys(sim: Any) -> list[str]:
    out = []
    for e in sim.dataset.items("resources"):
        typ = str(e.get("Type") or e.get("type") or "")
        key = e.get("Id") or e.get("id")
        if typ.lower() == "modem" and key:
            out.append(key)
    return out


def test_modem_keeps_stored_status_on_update_but_new_modem_takes_its_own(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    modem = _modem_keys(sim)[0]
    before = store.get("resources", modem)
    assert before is not None
    sim.dataset.set_field("resources", modem, "Status", "Degraded-upstream")
    sim.dataset.set_field("resources", modem, "Name", "Renamed modem")
    new = {
        "Id": "RES-MDM-NEW-1",
        "Name": "A brand new modem",
        "Status": "Commissioning",
        "Type": "Modem",
        "resourceSpecification": {"id": "RS-MODEM-N1", "name": "Modem"},
    }
    sim.dataset.add("resources", new)
    result = engine.run("buildup")
    assert result.ok
    after = store.get("resources", modem)
    assert after is not None
    assert after.name == "Renamed modem"
    assert after.status == before.status != "Degraded-upstream"
    assert after.fields["Status"] == before.status
    new_modem = store.get("resources", "RES-MDM-NEW-1")
    assert new_modem is not None and new_modem.status == "Commissioning"
    # what search finds it by follows the status kept, not the one the upstream sent
    p = store.db.param
    (text,) = store.db.execute_sql(
        f'SELECT search_text FROM instance WHERE kind = {p} AND "key" = {p}', ("resources", modem)
    ).fetchone()
    assert "Renamed modem" in text and before.status in text and "Degraded" not in text


def test_carriers_and_resources_are_removed_only_at_the_end_of_a_complete_buildup(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    gone_carrier = sorted(sim.dataset.expected_keys("carriers"))[0]
    gone_resource = sorted(sim.dataset.expected_keys("resources"))[0]
    sim.dataset.remove("carriers", gone_carrier)
    sim.dataset.remove("resources", gone_resource)
    sim.dataset.tick()
    assert engine.run("update").types["carriers"].counters.removed == 0
    assert gone_carrier in stored(store, "carriers")
    assert gone_resource in stored(store, "resources")
    result = engine.run("buildup")
    assert result.ok
    assert gone_carrier not in stored(store, "carriers")
    assert gone_resource not in stored(store, "resources")
    assert result.types["carriers"].counters.removed == 1
    assert store.revisions("carriers", gone_carrier)[0].change == "removed"


def test_services_not_operational_are_removed_after_every_update(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    non_operational = {
        r.key for r in store.iter_instances("services") if r.status.lower() != "operational"
    }
    assert non_operational, (
        "the dataset has services that are not Operational"
    )  # kept by the buildup
    victim = sorted(k for k in stored(store, "services") if k not in non_operational)[0]
    sim.dataset.set_field("services", victim, "Status", "Retired")
    sim.dataset.tick()
    result = engine.run("update")
    assert result.ok, result.reason
    remaining = {r.key: r.status for r in store.iter_instances("services")}
    assert victim not in remaining
    assert all(s.lower() == "operational" for s in remaining.values())
    assert result.types["services"].counters.removed == len(non_operational) + 1


def test_no_cleanup_after_a_gap(sim: Any, store: Store, make_engine: MakeEngine) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    gone = sorted(sim.dataset.expected_keys("carriers"))[-1]
    sim.dataset.remove("carriers", gone)
    sim.faults.add("carriers", 2, "504", times=-1)
    events: list[Any] = []
    engine.on_event = events.append
    result = engine.run("buildup")
    assert result.types["carriers"].state == "partial"
    assert "gap" in result.types["carriers"].reason
    assert gone in stored(store, "carriers")
    assert [g["page"] for g in store.gaps(result.run_id)] == [2]
    assert any(isinstance(e, ev.GapRecorded) and e.page == 2 for e in events)
    assert not result.ok


def test_504_is_retried_then_succeeds(sim: Any, store: Store, make_engine: MakeEngine) -> None:
    sim.faults.add("services", 2, "504", times=2)
    result = make_engine(sim, store).run("buildup")
    assert result.ok
    assert stored(store, "services") == sim.dataset.expected_keys("services")
    page2 = [r for r in sim.requests if r.kind == "services" and str(r.params.get("page")) == "2"]
    assert [r.status for r in page2] == [504, 504, 200]
    # the two APIs page side by side: each retry says which listing it is about
    retries = [e for e in store.log_entries(1000) if "retry" in e["message"]]
    assert len(retries) == 2
    assert all(e["message"].startswith("services: HTTP 504") for e in retries), retries


def test_502_gives_up_the_type_and_skips_its_cleanup(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    gone = sorted(sim.dataset.expected_keys("resources"))[-1]
    sim.dataset.remove("resources", gone)
    sim.faults.add("resources", 3, "502", times=1)
    result = engine.run("buildup")
    assert result.types["resources"].state == "failed"
    assert "502" in result.types["resources"].reason
    assert result.types["services"].state == "succeeded"
    assert gone in stored(store, "resources")
    # The interrupted buildup resumes at the failed page next time, then cleans up.
    again = engine.run("auto")
    assert again.mode == "buildup" and again.types["resources"].state == "succeeded"
    assert gone not in stored(store, "resources")


@pytest.mark.parametrize("fault", ["html", "truncated", "not-objects"])
def test_a_200_that_is_not_the_expected_json_fails_the_page(
    fault: str, sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim.faults.add("carriers", 1, fault, times=-1)
    result = make_engine(sim, store).run("buildup")
    carriers = result.types["carriers"]
    # A list of non-objects decodes as JSON but is no listing either: a failed page, never
    # "entities without keys" (which would let the cleanup remove what the page stood for).
    assert carriers.state == "partial" and carriers.gaps == 1
    assert stored(store, "carriers") != sim.dataset.expected_keys("carriers")


def test_401_stops_the_api_at_once_with_a_bounded_number_of_requests(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim.faults.add("services", 1, "401", times=-1)
    result = make_engine(sim, store, **{"sync.page_concurrency": 4}).run("buildup")
    assert result.types["services"].state == "failed"
    assert result.types["services"].reason.startswith("authentication failed for TMF638")
    assert result.types["carriers"].state == "failed"  # same API: stopped too, not retried
    assert result.types["resources"].state == "succeeded"  # the other API goes on
    tmf638 = [r for r in sim.requests if r.kind in ("services", "carriers")]
    assert len(tmf638) <= 4
    assert store.count("services") == 0


def test_no_password_is_explained_once_and_each_type_fails_with_a_short_reason(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    explanation = (
        "no usable keyring was found: no Secret Service answers on D-Bus. Choices: run inside "
        "a Secret Service session; use an encrypted file keyring; or set the variables."
    )

    def no_keyring(api: str) -> str:
        raise SecretsError(explanation)

    engine = make_engine(sim, store)
    engine.passwords = no_keyring
    result = engine.run("buildup")
    assert result.state == "failed"
    for kind in KINDS:
        reason = result.types[kind].reason
        assert (
            reason
            == "no usable keyring was found: no Secret Service answers on D-Bus. The sync log says what to do."
        ), reason
    assert "Choices" not in result.reason
    logged = [e["message"] for e in store.log_entries(1000) if "Choices" in e["message"]]
    assert logged == [f"no password could be read: {explanation}"]


def test_wrong_password_is_an_authentication_failure(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    engine.passwords = lambda api: "wrong"
    result = engine.run("buildup")
    assert {t.state for t in result.types.values()} == {"failed"}
    assert "authentication failed for TMF639" in result.types["resources"].reason
    assert len(sim.requests) <= 2 * 4


def test_cancel_stops_between_pages_without_cleanup(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(latency_ms=5)
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    gone = sorted(sim.dataset.expected_keys("carriers"))[0]
    sim.dataset.remove("carriers", gone)

    cancel_at(engine, "carriers", 2)
    result = engine.run("buildup")
    assert result.state == "cancelled"
    assert result.types["carriers"].state == "cancelled"
    # TMF639 runs side by side with TMF638: it may have finished before the cancel came.
    assert result.types["resources"].state in ("cancelled", "succeeded")
    assert gone in stored(store, "carriers")
    assert store.buildup("carriers") is not None  # resumable


def test_a_cancel_after_the_last_page_still_prevents_the_cleanup(
    make_sim: Any, store: Store, make_engine: MakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console says "no cleanup will follow": a cancel that comes once every page is stored
    (here: while the buildup lists carriers again to confirm what it did not see) holds to it."""
    sim = make_sim()
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    gone = sorted(sim.dataset.expected_keys("carriers"))[0]
    sim.dataset.remove("carriers", gone)
    confirm = confirm_absence  # the engine calls it by this name: patched there below

    def confirm_then_cancel(store: Store, kind: str, *args: Any, **kwargs: Any) -> int:
        kept = confirm(store, kind, *args, **kwargs)
        if kind == "carriers":
            engine.cancel()
        return kept

    monkeypatch.setattr(engine_module, "confirm_absence", confirm_then_cancel)
    result = engine.run("buildup")
    assert result.state == "cancelled"
    assert result.types["carriers"].state == "cancelled"
    assert gone in stored(store, "carriers")  # not removed
    assert store.buildup("carriers") is not None  # resumable


def test_mass_delete_guard_holds_the_cleanup_until_confirmed(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    keys = sorted(sim.dataset.expected_keys("carriers"))
    for key in keys[: int(len(keys) * 0.7)]:
        sim.dataset.remove("carriers", key)
    events: list[Any] = []
    engine.on_event = events.append
    result = engine.run("buildup")
    assert result.types["carriers"].state == "held"
    assert store.count("carriers") == len(keys)
    held = store.held_cleanups()["carriers"]
    assert held.would_remove == int(len(keys) * 0.7) and held.total == len(keys)
    assert any(isinstance(e, ev.CleanupHeld) and e.kind == "carriers" for e in events)
    assert store.has_completed_buildup()
    removed = engine.confirm_cleanup("carriers")
    assert removed == int(len(keys) * 0.7)
    assert stored(store, "carriers") == sim.dataset.expected_keys("carriers")
    assert store.held_cleanups() == {}


def test_allow_mass_delete_removes_at_once(sim: Any, store: Store, make_engine: MakeEngine) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    for key in sorted(sim.dataset.expected_keys("resources")):
        sim.dataset.remove("resources", key)
    result = engine.run("buildup", allow_mass_delete=True)
    assert result.types["resources"].state == "succeeded"
    assert store.count("resources") == 0


def test_revisions_for_create_change_remove_and_none_for_unchanged(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    rev = store.m.revision
    created = rev.select().count()
    assert created == sum(len(sim.dataset.expected_keys(k)) for k in KINDS)
    second = engine.run("buildup")
    assert second.ok
    assert rev.select().count() == created  # unchanged instances write nothing
    assert second.types["services"].counters.unchanged == len(sim.dataset.expected_keys("services"))

    key = sorted(sim.dataset.expected_keys("carriers"))[1]
    old = store.get("carriers", key)
    assert old is not None
    old_name = old.name
    sim.dataset.set_field("carriers", key, "Name", "Carrier renamed upstream")
    sim.dataset.remove("carriers", sorted(sim.dataset.expected_keys("carriers"))[0])
    assert engine.run("buildup").ok
    history = store.revisions("carriers", key)
    assert [r.change for r in history] == ["changed", "created"]
    assert history[0].changes == {"Name": [old_name, "Carrier renamed upstream"]}
    assert history[1].changes["Name"] == [None, old_name]


def test_history_gives_every_life_of_an_instance_its_fields_as_created(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    """Created, changed twice, removed, created anew and changed: each creation shows the fields
    it created, each change its old and new values, the removal the fields as they were — read
    from the store's own history (a creation's revision copies nothing)."""
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    key = sorted(sim.dataset.expected_keys("resources"))[3]
    first = store.get("resources", key)
    assert first is not None
    sim.dataset.set_field("resources", key, "Name", "renamed once")
    assert engine.run("buildup").ok
    sim.dataset.set_field("resources", key, "Name", "renamed twice")
    sim.dataset.set_field("resources", key, "Description", "described")
    assert engine.run("buildup").ok
    as_removed = store.get("resources", key)
    assert as_removed is not None
    entity = sim.dataset.get("resources", key)
    sim.dataset.remove("resources", key)
    assert engine.run("buildup").ok
    assert store.get("resources", key) is None
    sim.dataset.add("resources", entity)  # back, and changed again
    assert engine.run("buildup").ok
    second = store.get("resources", key)
    assert second is not None
    sim.dataset.set_field("resources", key, "Name", "renamed in its second life")
    assert engine.run("buildup").ok

    history = store.revisions("resources", key)
    assert [r.change for r in history] == [
        "changed", "created", "removed", "changed", "changed", "created"
    ]  # fmt: skip
    empty: tuple[object, ...] = (None, "", [], {})
    created_as = {k: [None, v] for k, v in first.fields.items() if v not in empty}
    assert history[5].changes == created_as
    assert history[4].changes == {"Name": [first.name, "renamed once"]}
    assert history[3].changes["Name"] == ["renamed once", "renamed twice"]
    assert history[3].changes["Description"][1] == "described"
    assert history[2].changes == {
        k: [v, None] for k, v in as_removed.fields.items() if v not in empty
    }
    assert history[1].changes == {k: [None, v] for k, v in second.fields.items() if v not in empty}
    assert history[0].changes == {"Name": [second.name, "renamed in its second life"]}
    # The Changes feed reads the same creations.
    feed = {r.id: r for r in store.recent_revisions(10_000, kind="resources")}
    for r in history:
        assert feed[r.id] == r


def test_concurrent_paging_leaves_the_same_store_as_sequential(
    make_sim: Any, new_database: Callable[[], str], make_store: Any, make_engine: MakeEngine
) -> None:
    sim = make_sim(duplicates=4, null_keys=2, latency_ms=2)
    stores = []
    for concurrency in (1, 4):
        s = make_store(new_database())
        assert make_engine(sim, s, **{"sync.page_concurrency": concurrency}).run("buildup").ok
        stores.append(s)
    assert snapshot(stores[0]) == snapshot(stores[1])
    for kind in KINDS:  # storage order equals too, type by type (the two APIs run side by side)
        rev = [
            [
                (r.key, r.change)
                for r in s.m.revision.select()
                .where(s.m.revision.kind == kind)
                .order_by(s.m.revision.id)
            ]
            for s in stores
        ]
        assert rev[0] == rev[1]


def test_a_second_sync_is_refused_with_the_lease_message(
    sim: Any, store: Store, make_engine: MakeEngine, make_store: Any
) -> None:
    other = make_store()  # another process's store on the same database
    holder = SyncLease(other)
    holder.acquire()
    try:
        with pytest.raises(LeaseHeld) as info:
            make_engine(sim, store).run("buildup")
        assert str(info.value).startswith("sync already running (")
        assert str(holder.pid) in str(info.value)
    finally:
        holder.release()
    assert make_engine(sim, store).run("buildup").ok


@pytest.mark.parametrize("version", [4, 5])
def test_tmf630_dialect_v4_and_v5(
    version: int, sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    events: list[Any] = []
    result = make_engine(sim, store, events=events, dialect="tmf630", version=version).run(
        "buildup"
    )
    assert result.ok, result.reason
    for kind in KINDS:
        assert stored(store, kind) == sim.dataset.expected_keys(kind)
    totals = {e.total for e in events if isinstance(e, ev.PageStored) and e.kind == "services"}
    assert len(sim.dataset.items("services")) in totals


def test_a_buildup_resumed_with_another_page_size_loses_nothing(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store, **{"sync.records_per_page": 20, "sync.page_concurrency": 1})

    cancel_at(engine, "services", 3)
    assert engine.run("buildup").state == "cancelled"
    interrupted = store.buildup("services")
    assert interrupted is not None and interrupted.page_size == 20
    events: list[Any] = []
    resumed = make_engine(sim, store, events=events, **{"sync.records_per_page": 50})
    result = resumed.run("auto")
    assert result.ok and result.mode == "buildup"
    fetched = (interrupted.next_page - 1) * 20
    first = next(e for e in events if isinstance(e, ev.TypeStarted) and e.kind == "services")
    assert first.first_page == fetched // 50 + 1
    for kind in KINDS:
        assert stored(store, kind) == sim.dataset.expected_keys(kind)


# -- where a buildup's pages are stored (see tui_inventory.sync.writer) --------------------------


def test_a_buildup_stored_by_the_store_process_equals_one_stored_on_a_thread(
    make_sim: Any, new_database: Callable[[], str], make_store: Any, make_engine: MakeEngine
) -> None:
    sim = make_sim(duplicates=3, null_keys=2)
    stores, results = [], []
    for in_process in (False, True):
        s = make_store(new_database())
        engine = make_engine(sim, s)
        engine.store_process = not in_process
        result = engine.run("buildup")
        assert result.ok, result.reason
        stores.append(s)
        results.append({k: r.counters for k, r in result.types.items()})
    assert snapshot(stores[0]) == snapshot(stores[1])
    assert results[0] == results[1]
    for s in stores:  # the type runs' committed counters are the run's
        for kind in KINDS:
            row = s.type_runs(1)
            (tr,) = [r for r in row if r["kind"] == kind]
            assert tr["created"] == s.count(kind) and tr["state"] == "succeeded"


def _services_buildup(store: Store) -> int:
    """A run whose services' buildup has begun, as the engine begins one; returns the run."""
    run = store.start_run("buildup", "here", 1)
    store.begin_buildup("services", run, 10)
    store.start_type_run(run, "services", "buildup")
    return run


def _services_stream(sink: Any, run: int, stored: list[int]) -> Any:
    """A stream of the run's services pages; the numbers of the pages stored go to `stored`."""
    return sink.stream(
        StreamSpec("services", run, True), lambda page, c: stored.append(page.number)
    )


def _service_page(n: int) -> PreparedPage:
    """Page `n`: one service, S`n`."""
    item = Mapped(f"S{n}", "one", "Operational", "Service", "", {"Name": "one"})
    return PreparedPage(n, [item], 1, None, tally=(n, 0, 0), pages=n)


@pytest.mark.parametrize("sink_class", [StoreProcess, ThreadSink])
def test_pages_put_after_a_cancel_are_dropped_not_stored(sink_class: Any, store: Store) -> None:
    """A cancel stops after the page in hand: what is queued for the store is not stored (a
    buildup fetches it again when it resumes)."""
    run = _services_buildup(store)
    sink = sink_class(store)
    stored: list[int] = []
    writer = _services_stream(sink, run, stored)
    writer.put(_service_page(1))
    writer.close()  # page 1 is stored; then the cancel comes
    writer = _services_stream(sink, run, stored)
    sink.cancel()
    for n in (2, 3, 4):
        writer.put(_service_page(n))
    writer.close()
    sink.close()
    assert stored == [1]
    assert store.keys("services") == {"S1"}
    buildup = store.buildup("services")
    assert buildup is not None and buildup.next_page == 2  # resumes at the first page dropped


def test_pages_already_sent_to_the_store_process_are_dropped_after_a_cancel(
    store: Store,
) -> None:
    """The store process is busy with a page (the test holds the database's write lock) while
    the next pages wait in its pipe; then the sync is cancelled: the page in hand is stored, the
    ones sent after it are not."""
    if store.is_postgres:
        pytest.skip("the store process is held up with SQLite's write lock")
    run = _services_buildup(store)
    sink = StoreProcess(store)
    stored: list[int] = []
    writer = _services_stream(sink, run, stored)
    writer.put(_service_page(1))
    blocker = sqlite3.connect(store.url, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the store process waits for it (busy timeout)
    try:
        for n in (2, 3, 4):
            writer.put(_service_page(n))
        deadline = time.monotonic() + 30
        while not sink._outbox.empty():  # every page handed to the pipe
            assert time.monotonic() < deadline
            time.sleep(0.01)
        sink.cancel()
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    writer.close()
    sink.close()
    assert 3 not in stored and 4 not in stored
    assert stored in ([1], [1, 2])  # 2: it was in the store process's hands when the cancel came
    assert store.keys("services") == {f"S{n}" for n in stored}
    buildup = store.buildup("services")
    assert buildup is not None and buildup.next_page == stored[-1] + 1


def test_a_buildup_cancelled_with_pages_queued_resumes_and_stores_everything_once(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(resources=600)
    engine = make_engine(sim, store, **{"sync.records_per_page": 10})

    cancel_at(engine, "resources", 3)
    result = engine.run("buildup")
    assert result.types["resources"].state == "cancelled"
    # what the cancelled run counts is what it stored: the dropped pages are received again
    kept = store.count("resources")
    assert kept < len(sim.dataset.expected_keys("resources"))
    counted = result.types["resources"].counters
    assert counted.created == kept
    buildup = store.buildup("resources")
    assert buildup is not None and counted.received == (buildup.next_page - 1) * 10
    engine.on_event = lambda event: None
    assert engine.run("buildup").ok
    for kind in KINDS:
        assert stored(store, kind) == sim.dataset.expected_keys(kind)
    created = [r for r in store.recent_revisions(100_000) if r.change == "created"]
    assert len(created) == len({(r.kind, r.key) for r in created}) == sum(store.counts().values())


def test_a_store_process_that_cannot_start_leaves_the_buildup_to_a_thread(
    sim: Any, store: Store, make_engine: MakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[Any] = []
    engine = make_engine(sim, store, events=events)
    monkeypatch.setattr("sys.executable", "/bin/false")  # the store process exits at once
    result = engine.run("buildup")
    assert result.ok, result.reason
    for kind in KINDS:
        assert store.keys(kind) == sim.dataset.expected_keys(kind)
    warnings = [e.message for e in events if isinstance(e, ev.Logged) and e.level == "warning"]
    assert any(
        "the store process could not start (exit status 1); storing on a thread" in m
        for m in warnings
    ), warnings


# -- gaps read again (tester2 finding 1) -------------------------------------------------------


def test_a_gap_is_read_again_by_the_next_run_and_settled(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=20, carriers=200, resources=20)
    engine = make_engine(sim, store)
    sim.faults.add("carriers", 2, "504", times=-1)
    first = engine.run("auto")
    assert first.types["carriers"].state == "partial"
    assert len(stored(store, "carriers")) == 180  # page 2 (20 carriers) missing
    sim.faults.clear()  # the gateway recovers

    second = engine.run("auto")

    assert second.mode == "update"
    carriers = second.types["carriers"]
    assert carriers.state == "succeeded", carriers.reason
    assert stored(store, "carriers") == sim.dataset.expected_keys("carriers")
    assert store.open_gaps() == []
    page2 = [r for r in sim.requests if r.kind == "carriers" and str(r.params.get("page")) == "2"]
    # read again as the buildup read it (the whole listing), not as the update's changes
    assert any(r.status == 200 and "updatedDaysAgo" not in r.params for r in page2)
    assert any("page 2 (a gap) read again" in e["message"] for e in store.log_entries(1000))


def test_an_outage_at_the_start_of_a_buildup_loses_no_page_once_upstream_is_back(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=20, carriers=200, resources=20)
    engine = make_engine(sim, store, **{"sync.page_concurrency": 1})
    assert engine.run("buildup").ok
    gone = sorted(sim.dataset.expected_keys("carriers"))[-1]
    sim.dataset.remove("carriers", gone)  # what the buildup's cleanup must remove in the end
    for page in range(1, 6):  # five pages in a row fail: carriers are given up for this run
        sim.faults.add("carriers", page, "504", times=-1)
    outage = engine.run("buildup")
    assert outage.types["carriers"].state == "failed"
    buildup = store.buildup("carriers")
    assert buildup is not None and buildup.next_page == 5  # pages 1-4 lie before it, as gaps
    sim.faults.clear()

    resumed = engine.run("auto")

    assert resumed.mode == "buildup"
    carriers = resumed.types["carriers"]
    assert carriers.state == "succeeded", carriers.reason
    assert stored(store, "carriers") == sim.dataset.expected_keys("carriers")
    assert gone not in stored(store, "carriers")
    assert store.open_gaps() == []
    assert store.buildup("carriers") is None


def test_a_gap_that_fails_again_stays_recorded_and_no_cleanup_runs(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=20, carriers=100, resources=20)
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    victim = sorted(
        r.key for r in store.iter_instances("services") if r.status.lower() == "operational"
    )[0]
    sim.dataset.set_field("services", victim, "Status", "Retired")
    sim.dataset.tick()
    sim.faults.add("services", 1, "504", times=-1)
    assert engine.run("buildup").types["services"].state == "partial"

    again = engine.run("auto")  # an update: page 1 of the buildup is read again, and fails

    services = again.types["services"]
    assert again.mode == "update"
    assert services.state == "partial"
    assert "no cleanup" in services.reason
    assert victim in stored(store, "services")  # the update's cleanup did not run
    assert [(g["kind"], g["page"]) for g in store.open_gaps()] == [("services", 1)]
    assert any("page 1 (a gap) failed again" in e["message"] for e in store.log_entries(1000))

    sim.faults.clear()
    healed = engine.run("auto")
    assert healed.types["services"].state == "succeeded", healed.types["services"].reason
    assert store.open_gaps() == []
    assert victim not in stored(store, "services")
