"""The simulator over real HTTP on loopback: auth, paging, shapes, faults, latency, changes, scale."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tui_inventory.simulator import (
    EXCLUDED_TYPES,
    KINDS,
    Simulator,
    SimulatorError,
    parse_spec,
    resource_type,
)
from tui_inventory.simulator.cli import serve

API = {"services": "tmf638", "carriers": "tmf638", "resources": "tmf639"}
PATH = {"services": "service", "carriers": "carrier", "resources": "resource"}
EXCLUDED = {t.lower() for t in EXCLUDED_TYPES}


def url(sim: Simulator, kind: str, dialect: str = "ses", version: int = 4) -> str:
    return f"{sim.api_url(API[kind], dialect, version)}/{PATH[kind]}"


def auth(sim: Simulator, kind: str) -> tuple[str, str]:
    api = API[kind]
    return sim.usernames[api], sim.passwords[api]


def get(
    sim: Simulator, kind: str, dialect: str = "ses", version: int = 4, **params: Any
) -> httpx.Response:
    if dialect == "ses":
        params = {"status": 1, "recordsPerPage": 50, "page": 1, **params}
    return httpx.get(url(sim, kind, dialect, version), params=params, auth=auth(sim, kind))


def ses_key(kind: str, entity: dict[str, Any]) -> Any:
    wanted = "id" if kind == "resources" else "externalid"
    return next((v for k, v in entity.items() if k.lower() == wanted), None)


def fetch_all_ses(sim: Simulator, kind: str, size: int = 50, **params: Any) -> list[list[Any]]:
    pages = []
    for page in range(1, 10_000):
        response = get(sim, kind, recordsPerPage=size, page=page, **params)
        assert response.status_code == 200
        pages.append(response.json())
        if len(pages[-1]) < size:
            return pages
    raise AssertionError("listing never ended")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(services=120, carriers=40, resources=300, seed=7) as simulator:
        yield simulator


# -- auth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect,version", [("ses", 4), ("tmf630", 4), ("tmf630", 5)])
def test_each_api_accepts_only_its_own_credentials(
    sim: Simulator, dialect: str, version: int
) -> None:
    for kind in KINDS:
        target = url(sim, kind, dialect, version)
        assert httpx.get(target, auth=auth(sim, kind)).status_code in (200, 206)
        other = "resources" if API[kind] == "tmf638" else "services"
        for credentials in (auth(sim, other), (auth(sim, kind)[0], "wrong"), None):
            response = httpx.get(target, auth=credentials)
            assert response.status_code == 401, (kind, credentials)
            assert response.headers["www-authenticate"].startswith("Basic")
        garbage = httpx.get(target, headers={"Authorization": "Basic !!notbase64"})
        assert garbage.status_code == 401


def test_demo_credentials_are_fixed_and_distinct(sim: Simulator) -> None:
    assert sim.usernames == {"tmf638": "tmf638-demo", "tmf639": "tmf639-demo"}
    assert sim.passwords == {"tmf638": "orbit-638-demo", "tmf639": "beam-639-demo"}
    assert sim.password_env()["TUI_INVENTORY_TMF639_PASSWORD"] == "beam-639-demo"


def test_settings_point_at_the_simulator(sim: Simulator) -> None:
    ses = sim.settings("ses")
    assert ses["tmf638.url"] == f"{sim.base_url}/ses/tmf638"
    assert ses["tmf639.url"] == f"{sim.base_url}/ses/tmf639"
    assert ses["sync.dialect"] == "ses"
    assert (ses["tmf638.services_path"], ses["tmf638.carriers_path"]) == ("/service", "/carrier")
    assert ses["tmf639.resources_path"] == "/resource"
    v5 = sim.settings("tmf630", version=5)
    assert v5["tmf638.url"] == f"{sim.base_url}/tmf630/v5/tmf638"
    assert v5["sync.dialect"] == "tmf630"
    assert sim.base_url == f"http://127.0.0.1:{sim.port}"


# -- paging --------------------------------------------------------------------------------------


def test_ses_pages_end_with_a_short_page_and_keep_the_listing_order(sim: Simulator) -> None:
    pages = fetch_all_ses(sim, "services")
    assert [len(p) for p in pages] == [50, 50, 20]
    served = [ses_key("services", e) for page in pages for e in page]
    assert served == [ses_key("services", e) for e in sim.dataset.items("services")]


def test_ses_exact_multiple_of_the_page_size_ends_with_an_empty_page() -> None:
    with Simulator(services=100, carriers=0, resources=0) as sim:
        assert [len(p) for p in fetch_all_ses(sim, "services")] == [50, 50, 0]
        assert [len(p) for p in fetch_all_ses(sim, "carriers")] == [0]


def test_tmf630_paging_status_and_counts(sim: Simulator) -> None:
    first = get(sim, "carriers", "tmf630", offset=0, limit=15)
    assert first.status_code == 206
    assert first.headers["x-total-count"] == "40"
    assert first.headers["x-result-count"] == "15"
    default = get(sim, "carriers", "tmf630")
    assert default.status_code == 206 and len(default.json()) == 20
    whole = get(sim, "carriers", "tmf630", offset=0, limit=40)
    assert whole.status_code == 200 and len(whole.json()) == 40
    tail = get(sim, "carriers", "tmf630", offset=30, limit=15)
    assert tail.status_code == 206 and tail.headers["x-result-count"] == "10"
    ids = [e["id"] for e in whole.json()]
    assert [e["id"] for e in tail.json()] == ids[30:]
    assert ids == [ses_key("carriers", e) for e in sim.dataset.items("carriers")]


def test_bad_paging_parameters_are_refused(sim: Simulator) -> None:
    assert get(sim, "services", page=0).status_code == 400
    assert get(sim, "services", recordsPerPage="many").status_code == 400
    assert get(sim, "services", "tmf630", limit=0).status_code == 400


# -- shapes --------------------------------------------------------------------------------------


def _objects_without_type(value: Any, path: str = "") -> list[str]:
    """Paths of v5 objects lacking `@type`; characteristic values are data, not TMF objects."""
    missing = []
    if isinstance(value, dict):
        if "@type" not in value:
            missing.append(path or "/")
        for key, item in value.items():
            if key != "value":
                missing += _objects_without_type(item, f"{path}/{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            missing += _objects_without_type(item, f"{path}/{n}")
    return missing


def test_v4_and_v5_service_shapes(sim: Simulator) -> None:
    ses = sim.dataset.items("services")
    v4 = get(sim, "services", "tmf630", 4, limit=200).json()
    v5 = get(sim, "services", "tmf630", 5, limit=200).json()
    assert [e["id"] for e in v4] == [ses_key("services", e) for e in ses] == [e["id"] for e in v5]
    for raw, four, five in zip(ses, v4, v5, strict=True):
        status = next(v for k, v in raw.items() if k.lower() == "status")
        expected = (
            "active"
            if status == "Operational"
            else {"Retired": "terminated"}.get(status, "inactive")
        )
        assert four["state"] == five["state"] == expected
        assert "partyOrPartyRole" not in four["relatedParty"][0]
        assert five["relatedParty"][0]["partyOrPartyRole"]["id"] == four["relatedParty"][0]["id"]
        assert "place" in five["place"][0] and five["place"][0]["role"] == four["place"][0]["role"]
        assert _objects_without_type(five) == []
    typed = {c["name"]: c["@type"] for c in v5[0]["serviceCharacteristic"]}
    assert typed["CIR_Mbps"] == "NumberCharacteristic"
    assert typed["QoS"] == "ObjectCharacteristic"
    assert typed["Burstable"] == "BooleanCharacteristic"
    assert typed["Beams"] == "StringArrayCharacteristic"


def test_v4_and_v5_resource_shapes(sim: Simulator) -> None:
    ses = sim.dataset.items("resources")
    v4 = get(sim, "resources", "tmf630", 4, limit=500).json()
    v5 = get(sim, "resources", "tmf630", 5, limit=500).json()
    assert len(v4) == len(v5) == len(ses) == 300
    for raw, four, five in zip(ses, v4, v5, strict=True):
        assert four["id"] == five["id"] == ses_key("resources", raw)
        assert "resourceStatus" in four and "resourceStatus" not in five
        assert five["lifecycleState"] in ("planned", "installed", "pendingRemoval")
        assert four["operationalState"] in ("enable", "disable")
        assert five["operationalState"] in ("enabled", "disabled")
        assert isinstance(five["place"], list)
        assert "place" not in four or isinstance(four["place"], dict)
        # The product derives the type the same way in every dialect.
        assert (
            resource_type(four).lower() == resource_type(five).lower() == resource_type(raw).lower()
        )
        assert _objects_without_type(five) == []
    modem = next(r for r in v5 if r["id"].startswith("RES-MDM-"))
    rx = next(c for c in modem["resourceCharacteristic"] if c["name"] == "RxLockLevel_dB")
    assert rx["@type"] == "NumberCharacteristic" and isinstance(rx["value"], float)


def test_ses_shape_varies_field_casing(sim: Simulator) -> None:
    services = sim.dataset.items("services")
    assert any("ExternalId" in s for s in services)
    assert any("externalId" in s for s in services)


# -- the dataset ---------------------------------------------------------------------------------


def test_resource_mix_and_filtered_types(sim: Simulator) -> None:
    items = sim.dataset.items("resources")
    types = Counter(resource_type(r).lower() for r in items)
    assert types["modem"] > len(items) / 2
    for kind in ("antenna", "gateway", "terminal", "transponder", "satellite"):
        assert types[kind] > 0, kind
    excluded = [r for r in items if resource_type(r).lower() in EXCLUDED]
    assert 0.05 * len(items) < len(excluded) < 0.15 * len(items)
    assert {resource_type(r).lower() for r in excluded} == EXCLUDED
    # Some name their type only through the specification or only through @type.
    assert any(not any(k.lower() in ("type", "resourcetype") for k in r) for r in excluded)
    assert any("resourceSpecification" not in r for r in excluded)
    keys = [r.get("Id") or r.get("id") for r in items if r not in excluded]
    assert sim.dataset.expected_keys("resources") == set(keys)


def test_relationships_point_at_existing_entities(sim: Simulator) -> None:
    resources = {ses_key("resources", r): r for r in sim.dataset.items("resources")}
    services = {ses_key("services", s): s for s in sim.dataset.items("services")}
    for service in services.values():
        for ref in service["supportingResource"]:
            assert ref["id"] in resources, ref
    bandwidth_segments = {k for k, s in services.items() if k.startswith("BWS-")}
    assert bandwidth_segments
    for carrier in sim.dataset.items("carriers"):
        refs = {r["@referredType"]: r["id"] for r in carrier["supportingResource"]}
        assert refs["Satellite"] in resources and refs["Transponder"] in resources
        segments = carrier["supportingService"]
        assert segments and {s["id"] for s in segments} <= bandwidth_segments
        terminal = next(p for p in carrier["place"] if p["role"] == "Terminal")
        assert terminal["id"] in resources
    for resource in resources.values():
        for relation in resource["resourceRelationship"]:
            assert relation["resource"]["id"] in resources, relation


def test_some_bandwidth_segment_refs_carry_no_status(sim: Simulator) -> None:
    refs = [s for c in sim.dataset.items("carriers") for s in c["supportingService"]]
    assert any("status" in r for r in refs) and any("status" not in r for r in refs)


def test_duplicates_and_null_keys_are_in_the_listing_not_in_expected_keys() -> None:
    with Simulator(services=150, carriers=60, resources=200, duplicates=3, null_keys=2) as sim:
        for kind in KINDS:
            items = sim.dataset.items(kind)
            keys = [ses_key(kind, e) for e in items]
            assert len(items) == sim.dataset.world.counts[kind] + 5
            assert Counter(k for k in keys if k in (None, "")) == Counter({None: 1, "": 1})
            repeated = [k for k, n in Counter(keys).items() if n > 1 and k]
            assert len(repeated) == 3
            expected = sim.dataset.expected_keys(kind)
            assert None not in expected and "" not in expected
            if kind != "resources":
                assert expected == {k for k in keys if k}
        # The first duplicate of services comes pages after its original, the first occurrence.
        pages = fetch_all_ses(sim, "services")
        where: dict[str, list[int]] = {}
        for number, page in enumerate(pages, 1):
            for entity in page:
                where.setdefault(ses_key("services", entity), []).append(number)
        assert any(p[1] > p[0] for k, p in where.items() if k and len(p) > 1)


def test_changes_are_visible_and_invalidate_cached_pages(sim: Simulator) -> None:
    before = get(sim, "services").json()
    key = ses_key("services", before[3])
    sim.dataset.set_field("services", key, "status", "Non-Operational")
    sim.dataset.set_characteristic("services", key, "CIR_Mbps", 999)
    after = get(sim, "services").json()[3]
    status_fields = [k for k in after if k.lower() == "status"]
    assert len(status_fields) == 1 and after[status_fields[0]] == "Non-Operational"
    cir = next(c for c in after["serviceCharacteristic"] if c["name"] == "CIR_Mbps")
    assert cir["value"] == 999
    assert get(sim, "services", "tmf630", 4).json()[3]["state"] == "inactive"
    assert [ses_key("services", e) for e in get(sim, "services", updatedDaysAgo=0).json()] == [key]


def test_remove_and_add(sim: Simulator) -> None:
    first = sim.dataset.items("resources")[0]
    key = ses_key("resources", first)
    sim.dataset.remove("resources", key)
    assert key not in sim.dataset.expected_keys("resources")
    assert key not in [ses_key("resources", e) for p in fetch_all_ses(sim, "resources") for e in p]
    with pytest.raises(KeyError):
        sim.dataset.remove("resources", key)
    sim.dataset.add("resources", first)
    assert ses_key("resources", sim.dataset.items("resources")[-1]) == key
    assert key in sim.dataset.expected_keys("resources")
    with pytest.raises(ValueError):
        sim.dataset.add("resources", first)


def test_tick_changes_are_exactly_the_updated_listing() -> None:
    with Simulator(services=300, carriers=80, resources=600, changes_per_poll=12, seed=3) as sim:
        for kind in KINDS:
            assert get(sim, kind, updatedDaysAgo=0).json() == []
        previous: set[tuple[str, str]] = set()
        statuses = set()
        for _ in range(4):
            changed = set(sim.dataset.tick())
            assert changed
            for kind in KINDS:
                keys = [
                    ses_key(kind, e) for p in fetch_all_ses(sim, kind, updatedDaysAgo=0) for e in p
                ]
                assert len(keys) == len(set(keys))
                # The window is the current tick and the one before it.
                assert set(keys) == {k for c, k in changed | previous if c == kind}
                assert keys == sim.dataset.changed(kind)
            previous = changed
            statuses |= {e.get("Status") for e in sim.dataset.items("services")}
        assert "Non-Operational" in statuses


# -- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["504", "502", "500", "401", "403", "429", "503"])
def test_http_error_faults(sim: Simulator, fault: str) -> None:
    sim.faults.add("carriers", 2, fault)
    assert get(sim, "carriers", page=1).status_code == 200
    response = get(sim, "carriers", page=2)
    assert response.status_code == int(fault)
    if fault in ("429", "503"):
        assert response.headers["retry-after"] == "1"
    if fault == "401":
        assert response.headers["www-authenticate"].startswith("Basic")
    assert get(sim, "carriers", page=2).status_code == 200


def test_retry_after_can_be_set(sim: Simulator) -> None:
    sim.faults.add("services", 1, "429", retry_after="Wed, 21 Oct 2099 07:28:00 GMT")
    sim.faults.add("services", 1, "503", retry_after="999999")
    assert get(sim, "services").headers["retry-after"] == "Wed, 21 Oct 2099 07:28:00 GMT"
    assert get(sim, "services").headers["retry-after"] == "999999"


def test_body_faults(sim: Simulator) -> None:
    for fault in ("html", "truncated", "not-objects", "empty"):
        sim.faults.add("resources", 1, fault)
    html = get(sim, "resources")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    truncated = get(sim, "resources")
    assert truncated.status_code == 200
    assert truncated.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.content)
    not_objects = get(sim, "resources").json()
    assert not_objects and not any(isinstance(v, dict) for v in not_objects)
    assert get(sim, "resources").json() == []
    assert len(get(sim, "resources").json()) == 50


def test_times_counts_requests_and_minus_one_is_always(sim: Simulator) -> None:
    sim.faults.add("services", 2, "504", times=2)
    sim.faults.add("services", 3, "502", times=-1)
    assert [get(sim, "services", page=2).status_code for _ in range(3)] == [504, 504, 200]
    assert [get(sim, "services", page=3).status_code for _ in range(4)] == [502] * 4
    # In tmf630 the page is offset // limit + 1.
    assert get(sim, "services", "tmf630", offset=100, limit=50).status_code == 502
    assert get(sim, "services", "tmf630", offset=99, limit=50).status_code == 206
    sim.faults.clear()
    assert get(sim, "services", page=3).status_code == 200
    record = sim.requests[0]
    assert (record.dialect, record.kind, record.status, record.page) == ("ses", "services", 504, 2)
    assert record.params["page"] == "2"
    assert [r.status for r in sim.requests].count(502) == 5


def test_fault_spec() -> None:
    faults = parse_spec("services:504@3x2, resources:502@5,carriers:401@1x-1")
    assert [(f.kind, f.fault, f.page, f.times) for f in faults] == [
        ("services", "504", 3, 2),
        ("resources", "502", 5, 1),
        ("carriers", "401", 1, -1),
    ]
    for bad in ("services:504", "service:504@1", "services:418@1", "services:504@0", "x", ""):
        with pytest.raises(ValueError, match=r"fault|kind"):
            parse_spec(bad)
    with Simulator(services=60, faults="services:504@2x2") as sim:
        assert [get(sim, "services", page=2).status_code for _ in range(3)] == [504, 504, 200]


# -- latency, scale, life cycle ------------------------------------------------------------------


async def test_latency_overlaps_concurrent_requests() -> None:
    with Simulator(services=400, latency_ms=200) as sim:
        async with httpx.AsyncClient(auth=auth(sim, "services")) as client:
            params = [{"status": 1, "recordsPerPage": 50, "page": n} for n in range(1, 5)]
            started = time.perf_counter()
            responses = await asyncio.gather(
                *(client.get(url(sim, "services"), params=p) for p in params)
            )
            elapsed = time.perf_counter() - started
    assert [r.status_code for r in responses] == [200] * 4
    assert 0.2 <= elapsed < 0.6


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    with (
        Simulator(seed=5, duplicates=2, null_keys=1) as a,
        Simulator(seed=5, duplicates=2, null_keys=1) as b,
    ):
        for kind in KINDS:
            for dialect, version in (("ses", 4), ("tmf630", 4), ("tmf630", 5)):
                assert (
                    get(a, kind, dialect, version).content == get(b, kind, dialect, version).content
                )
        assert a.dataset.tick() == b.dataset.tick()
        assert a.dataset.items("services") == b.dataset.items("services")
    with Simulator(seed=6) as c:
        assert c.dataset.items("services") != Simulator(seed=5).dataset.items("services")


def test_a_million_resources_start_and_serve_the_last_page_quickly() -> None:
    started = time.perf_counter()
    with Simulator(resources=1_000_000) as sim:
        assert time.perf_counter() - started < 2.0
        started = time.perf_counter()
        last = get(sim, "resources", page=20_000)
        assert time.perf_counter() - started < 1.0
        assert last.status_code == 200 and len(last.json()) == 50
        assert get(sim, "resources", page=20_001).json() == []
        tail = get(sim, "resources", "tmf630", 5, offset=999_990, limit=20)
        assert tail.status_code == 206 and tail.headers["x-total-count"] == "1000000"
        assert len(tail.json()) == 10


def test_stop_is_quick_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    sim = Simulator(services=10).start()
    assert get(sim, "services").status_code == 200
    started = time.perf_counter()
    sim.stop()
    assert time.perf_counter() - started < 1.0
    assert set(threading.enumerate()) == before
    sim.stop()  # twice is fine


def test_port_in_use_is_a_clear_error(sim: Simulator) -> None:
    with pytest.raises(SimulatorError, match="already in use"):
        Simulator(port=sim.port).start()


def test_serve_refuses_a_port_in_use(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    code = serve(
        port=sim.port, services=1, carriers=1, resources=1, latency_ms=0, seed=1, faults=None
    )
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert "already in use" in err and "\n" not in err


def test_serve_rejects_a_bad_fault_spec(capsys: pytest.CaptureFixture[str]) -> None:
    code = serve(port=0, services=1, carriers=1, resources=1, latency_ms=0, seed=1, faults="nope")
    assert code != 0 and "KIND:FAULT@PAGE" in capsys.readouterr().err


def test_serve_runs_in_the_foreground_until_sigterm() -> None:
    script = (
        "from tui_inventory.simulator.cli import serve; raise SystemExit(serve(port=0, services=20,"
        " carriers=5, resources=30, latency_ms=0, seed=1, faults='services:504@2'))"
    )
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        set_url = next(x for x in lines if x.startswith("tui-inventory config set tmf638.url "))
        base = set_url.split()[-1]
        response = httpx.get(
            f"{base}/service", params={"page": 1}, auth=("tmf638-demo", "orbit-638-demo")
        )
        assert response.status_code == 200 and len(response.json()) == 20
        assert any("tmf630/v5/tmf639" in x for x in lines)
        assert "TMF639 password: beam-639-demo" in lines
        assert "tui-inventory config set sync.dialect ses" in lines
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None and proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_auto_tick_brings_news_to_each_periodic_update() -> None:
    with Simulator(services=200, changes_per_poll=20, auto_tick=True) as sim:
        assert sim.dataset.clock == 0
        assert get(sim, "services", page=1).status_code == 200  # a buildup does not tick
        assert sim.dataset.clock == 0
        update = get(sim, "services", updatedDaysAgo=0).json()
        assert sim.dataset.clock == 1 and update
