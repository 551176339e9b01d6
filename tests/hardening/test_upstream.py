"""Hostile upstreams: rate limits, a password revoked mid-run, a network that swallows requests,
bodies that are not listings, huge and endless pages, listings that change or repeat while paged.

Each case ends in a clear sentence (a run state and reason, a gap) and loses nothing: what the
store held before stays unless the upstream really removed it.
"""

from __future__ import annotations

import email.utils
import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    SimUpstream,
    blackhole,
    engine_for,
    intercept,
    listed_keys,
    new_entity,
    serve,
    settings_for,
    snapshot,
)
from starlette.responses import Response, StreamingResponse

from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.sync.pages import MAX_FAILED_IN_A_ROW
from tui_inventory.tmf.client import RetryPolicy, TmfClient

MakeEngine = Callable[..., SyncEngine]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """How an upstream misbehaves does not depend on the backend: a SQLite file."""
    s = Store(str(tmp_path / "inventory.db"))
    yield s
    s.close()


def retry_messages(events: list[Any]) -> list[str]:
    return [e.message for e in events if isinstance(e, ev.Logged) and " retry " in e.message]


def built(sim: Any, store: Store, make_engine: MakeEngine, **settings: Any) -> SyncEngine:
    """An engine whose first buildup completed: the store holds the whole upstream."""
    engine = make_engine(sim, store, **settings)
    result = engine.run("buildup")
    assert result.ok, result.reason
    return engine


# -- 429 and 503 with Retry-After ----------------------------------------------------------------


def test_retry_after_in_seconds_is_waited_for(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=60, carriers=20, resources=20)
    sim.faults.add("services", 2, "429", times=1, retry_after="1")
    events: list[Any] = []
    engine = make_engine(sim, store, events=events)
    engine.retry = RetryPolicy(attempts=3, backoff=0.01, retry_after_cap=5)

    started = time.monotonic()
    result = engine.run("buildup")

    assert result.ok, result.reason
    assert time.monotonic() - started >= 1.0
    assert any("HTTP 429 on page 2; retry 1 of 2 in 1.0 s" in m for m in retry_messages(events))
    page2 = [r.status for r in sim.requests if r.kind == "services" and r.page == 2]
    assert page2 == [429, 200]
    assert store.keys("services") == sim.dataset.expected_keys("services")


def test_retry_after_as_an_http_date_is_waited_for(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=60, carriers=20, resources=20)
    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    sim.faults.add("carriers", 1, "503", times=1, retry_after=when)
    events: list[Any] = []
    engine = make_engine(sim, store, events=events)
    engine.retry = RetryPolicy(attempts=3, backoff=0.01, retry_after_cap=5)

    result = engine.run("buildup")

    assert result.ok, result.reason
    (message,) = retry_messages(events)
    waited = float(message.rsplit(" in ", 1)[1].split(" s")[0])
    assert message.startswith("carriers: HTTP 503 on page 1; retry 1 of 2 in ")
    assert 0.5 <= waited <= 2.0  # the date is whole seconds: up to one second less than asked
    assert [r.status for r in sim.requests if r.kind == "carriers" and r.page == 1] == [503, 200]


@pytest.mark.parametrize(
    "retry_after",
    ["864000", "Fri, 31 Dec 2100 23:59:59 GMT"],
    ids=["ten-days-in-seconds", "http-date-in-2100"],
)
def test_an_absurd_retry_after_is_capped_and_cancel_ends_the_wait(
    retry_after: str, make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=60, carriers=60, resources=20)
    engine = built(sim, store, make_engine)
    before = snapshot(store)
    gone = sorted(sim.dataset.expected_keys("carriers"))[0]
    sim.dataset.remove("carriers", gone)
    sim.faults.add("carriers", 2, "429", times=-1, retry_after=retry_after)
    waiting = threading.Event()
    messages: list[str] = []

    def on_event(event: Any) -> None:
        if isinstance(event, ev.Logged) and " retry " in event.message:
            messages.append(event.message)
            waiting.set()

    engine.on_event = on_event
    engine.retry = RetryPolicy()  # the product's own cap
    outcome: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: outcome.update(result=engine.run("buildup")))
    worker.start()
    assert waiting.wait(30), "the 429 was never retried"
    cancelled_at = time.monotonic()
    engine.cancel()
    worker.join(10)

    assert not worker.is_alive(), "cancel did not end the Retry-After wait"
    assert time.monotonic() - cancelled_at < 3
    assert messages[0].endswith("retry 1 of 2 in 60.0 s")  # capped, not ten days or 76 years
    result = outcome["result"]
    assert result.state == "cancelled"
    assert result.types["carriers"].state == "cancelled"
    assert snapshot(store) == before  # no cleanup: the removed carrier is still stored
    assert store.buildup("carriers") is not None  # resumable


# -- authentication revoked mid-run --------------------------------------------------------------


def test_401_in_the_middle_of_a_run_stops_the_api_without_cleanup_or_retry_storm(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=60, carriers=100, resources=60)
    engine = built(sim, store, make_engine, **{"sync.page_concurrency": 4})
    before = snapshot(store)
    gone = sorted(sim.dataset.expected_keys("carriers"))[-1]
    sim.dataset.remove("carriers", gone)
    sim.faults.add("carriers", 3, "401", times=-1)  # the password was changed during the run
    sim.requests.clear()

    result = engine.run("buildup")

    carriers = result.types["carriers"]
    assert carriers.state == "failed"
    assert carriers.reason == "authentication failed for TMF638 (HTTP 401)"
    assert result.types["services"].state == "succeeded"  # before the password changed
    assert result.types["resources"].state == "succeeded"  # the other API, other credentials
    asked = [r for r in sim.requests if r.kind == "carriers"]
    assert [r.page for r in asked].count(3) == 1  # never retried
    assert len(asked) <= 3 + 4  # the pages before it and at most the ones already in flight
    assert snapshot(store) == before  # no cleanup: the carrier removed upstream is still stored
    assert store.buildup("carriers") is not None

    sim.faults.clear()
    again = engine.run("auto")  # the password is fixed: the buildup resumes and cleans up
    assert again.mode == "buildup" and again.ok, again.reason
    assert gone not in store.keys("carriers")


# -- a network that swallows requests ------------------------------------------------------------


def test_a_blackholed_network_gives_up_in_bounded_time_and_keeps_the_store(
    make_sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    sim = make_sim(services=40, carriers=40, resources=60)
    built(sim, store, make_engine)
    before = snapshot(store)
    events: list[Any] = []

    with blackhole() as url:
        engine = engine_for(
            sim.settings("ses"),
            store,
            {"tmf639.url": url, "http.timeout": 0.3, "sync.page_concurrency": 4},
            events=events,
        )
        started = time.monotonic()
        result = engine.run("buildup")
        elapsed = time.monotonic() - started

    resources = result.types["resources"]
    assert resources.state == "failed"
    assert resources.reason.startswith(f"{MAX_FAILED_IN_A_ROW} pages in a row failed")
    assert "TMF639 did not answer within the timeout" in resources.reason
    assert resources.reason.endswith("giving up this type for this run (no cleanup)")
    assert result.types["services"].state == "succeeded"
    assert elapsed < 20, f"a swallowed network took {elapsed:.1f} s to give up"
    assert snapshot(store) == before


# -- bodies that are not a listing --------------------------------------------------------------


def _not_a_listing(body: bytes, media_type: str) -> Callable[[str, int, dict[str, str]], Any]:
    def rule(kind: str, page: int, params: dict[str, str]) -> Response | None:
        if kind == "carriers" and page == 3:
            return Response(body, 200, media_type=media_type)
        return None

    return rule


@pytest.mark.parametrize(
    ("body", "media_type", "why"),
    [
        (
            b"<!DOCTYPE html><html><body><h1>Proxy Error</h1></body></html>",
            "text/html",
            "text/html",
        ),
        (b'[{"ExternalId": "CAR-000001", "Name": "cut', "application/json", "application/json"),
        (
            b'[1, "two", 3.5, null, true]',
            "application/json",
            "5 of 5 entities are not JSON objects",
        ),
        (b'{"error": "no records"}', "application/json", "not a JSON list of entities"),
        (b'"[]"', "application/json", "not a JSON list of entities"),
    ],
    ids=[
        "html-200",
        "truncated-json",
        "not-objects",
        "object-no-list",
        "string",
    ],
)
def test_a_short_last_page_that_is_not_a_listing_is_a_gap_not_a_deletion(
    body: bytes, media_type: str, why: str, store: Store
) -> None:
    # 50 carriers at 20 a page: page 3 is the short last page. Taken as "no entities", it would
    # end the listing and the cleanup would remove the ten carriers it really holds.
    upstream = SimUpstream(services=20, carriers=50, resources=20)
    with serve(upstream.app()) as url:
        assert engine_for(settings_for(url), store).run("buildup").ok
    before = snapshot(store)

    events: list[Any] = []
    with serve(intercept(upstream.app(), _not_a_listing(body, media_type))) as url:
        result = engine_for(settings_for(url), store, events=events).run("buildup")

    carriers = result.types["carriers"]
    assert carriers.state == "partial"
    assert carriers.reason == "1 page(s) missing (gaps); no cleanup; the next run reads them again"
    (gap,) = [e for e in events if isinstance(e, ev.GapRecorded)]
    assert gap.page == 3
    assert gap.reason.startswith("page 3 is not the expected JSON (")
    assert why in gap.reason
    assert snapshot(store) == before


# -- huge pages ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_50_mb_page_is_stored_whole(make_sim: Any, store: Store, make_engine: MakeEngine) -> None:
    sim = make_sim(services=30, carriers=20, resources=20)
    first_page = listed_keys(sim.dataset, "services")[:20]
    # 20 entities of 2.5 MB: a 50 MB first page (a description pasted from a log, many times)
    for n, key in enumerate(first_page):
        text = " ".join(f"line{i % 977}-{n}" for i in range(250_000))[:2_500_000]
        sim.dataset.set_field("services", key, "Description", text)

    started = time.monotonic()
    result = make_engine(sim, store).run("buildup")

    assert result.ok, result.reason
    assert time.monotonic() - started < 60
    assert store.keys("services") == sim.dataset.expected_keys("services")
    stored = store.get("services", first_page[7])
    assert stored is not None
    assert stored.fields["Description"] == sim.dataset.get("services", first_page[7])["Description"]


def test_a_body_larger_than_the_cap_is_refused_as_a_gap(store: Store) -> None:
    upstream = SimUpstream(services=20, carriers=50, resources=20)
    with serve(upstream.app()) as url:
        assert engine_for(settings_for(url), store).run("buildup").ok
    before = snapshot(store)
    streamed: list[int] = []

    def endless(kind: str, page: int, params: dict[str, str]) -> Response | None:
        if kind != "carriers" or page != 2:
            return None

        def chunks() -> Iterator[bytes]:
            yield b'[{"ExternalId": "CAR-X", "Description": "'
            for _ in range(200):  # 200 MB if nobody stops reading: an upstream gone wrong
                streamed.append(1)
                yield b"x" * (1024 * 1024)

        return StreamingResponse(chunks(), media_type="application/json")

    events: list[Any] = []
    with serve(intercept(upstream.app(), endless)) as url:
        engine = engine_for(settings_for(url), store, events=events)
        engine.client_factory = functools.partial(TmfClient, max_page_bytes=8 * 1024 * 1024)
        result = engine.run("buildup")

    assert result.types["carriers"].state == "partial"
    (gap,) = [e for e in events if isinstance(e, ev.GapRecorded)]
    assert gap.page == 2
    assert gap.reason.startswith("page 2 is larger than 8 MB; refused")
    assert len(streamed) < 50  # the client stopped reading, and did not ask again
    assert snapshot(store) == before


# -- wrong types everywhere --------------------------------------------------------------------


def _hostile_service(key: Any) -> dict[str, Any]:
    return {
        "ExternalId": key,
        "Name": ["not", "a", "name"],
        "Description": {"nested": {"deep": [1, 2, 3]}},
        "Status": 42,
        "Type": {"t": 1},
        "StartDate": True,
        "EndDate": [1],
        "LastUpdate": {"a": None},
        "relatedParty": "a party as text",
        "place": 7,
        "serviceCharacteristic": {"name": "not a list"},
        "supportingResource": "r",
        "supportingService": 5.5,
        "category": None,
        "@type": ["CFS"],
        "\u202eUnknownField\x1b[31m": "\x00\x07\x1b]0;title\x07",
    }


def _hostile_resource(key: Any) -> dict[str, Any]:
    return {
        "Id": key,
        "Name": 12,
        "Status": {"state": "up"},
        "Type": ["Modem"],
        "resourceSpecification": "spec",
        "resourceCharacteristic": [{"name": 5, "value": {"a": [None]}}, "loose", None, 3],
        "relatedParty": {"role": ["customer"]},
        "place": [[], {}, "x"],
        "resourceRelationship": [{"relationshipType": 9, "resource": "r"}],
    }


WELL_KEYED = ["HOSTILE-1", 1234, 5.25]
BADLY_KEYED = [{"id": "X"}, ["HOSTILE-2"], True, None, "", "   "]


def _hostile_listing(kind: str, page: int, params: dict[str, str]) -> Response | None:
    make = {"services": _hostile_service, "resources": _hostile_resource}.get(kind)
    if make is None or page != 1:
        return None
    body = json.dumps([make(k) for k in WELL_KEYED + BADLY_KEYED])
    return Response(body, 200, media_type="application/json")


def test_wrong_types_in_every_field_are_kept_not_fatal(store: Store) -> None:
    upstream = SimUpstream(services=20, carriers=20, resources=20)
    with serve(intercept(upstream.app(), _hostile_listing)) as url:
        engine = engine_for(settings_for(url), store)
        first = engine.run("buildup")
        second = engine.run("buildup")

    assert first.ok, first.reason
    for kind in ("services", "resources"):
        counters = first.types[kind].counters
        assert store.keys(kind) == {"HOSTILE-1", "1234", "5.25"}
        assert counters.created == 3
        assert counters.skipped == len(BADLY_KEYED)
        assert counters.failed == 0
        # the same hostile input gives the same stored fields: no revision on the second run
        assert second.types[kind].counters.unchanged == 3
        assert second.types[kind].counters.updated == 0
    service = store.get("services", "HOSTILE-1")
    assert service is not None
    assert service.fields["Other Fields"]["Name"] == ["not", "a", "name"]
    assert (
        service.fields["Other Fields"]["\u202eUnknownField\x1b[31m"] == "\x00\x07\x1b]0;title\x07"
    )
    messages = [e["message"] for e in store.log_entries(500) if e["run"] == first.run_id]
    assert sum("null or empty key" in m for m in messages) == 2 * len(BADLY_KEYED)


# -- listings that change or repeat while they are paged ----------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
def test_inserts_and_deletes_upstream_while_paging_lose_nothing(
    concurrency: int, store: Store
) -> None:
    upstream = SimUpstream(services=20, carriers=100, resources=20)
    dataset = upstream.dataset
    deleted = listed_keys(dataset, "carriers")[2:5]  # on page 1: the rest moves 3 places back
    inserted = [f"CAR-NEW-{n}" for n in range(4)]
    armed, changed = threading.Event(), threading.Event()

    def change_upstream(kind: str, page: int, params: dict[str, str]) -> None:
        # Just before page 3 is served: pages 1 and 2 were (sequentially) fetched already, so
        # the three carriers that slide from page 3 onto page 2 are never listed by this pass.
        if kind == "carriers" and page == 3 and armed.is_set() and not changed.is_set():
            changed.set()
            for key in deleted:
                dataset.remove("carriers", key)
            for key in inserted:
                dataset.add("carriers", new_entity(dataset, "carriers", key))

    with serve(intercept(upstream.app(), change_upstream)) as url:
        engine = engine_for(settings_for(url), store, {"sync.page_concurrency": concurrency})
        assert engine.run("buildup").ok
        armed.set()
        result = engine.run("buildup")
        upstream_now, kept = dataset.expected_keys("carriers"), store.keys("carriers")
        follow_up = engine.run("buildup")  # a quiet upstream: the next buildup settles the rest

    carriers = result.types["carriers"]
    assert changed.is_set(), "the upstream changed during the second buildup"
    assert carriers.state == "succeeded" or "no cleanup" in carriers.reason, carriers.reason
    # Nothing that exists upstream is removed, whatever moved between pages. (A carrier deleted
    # after this buildup had seen it stays until the next one: it was listed when looked at.)
    assert upstream_now - set(inserted) <= kept
    if concurrency == 1:
        logged = [e["message"] for e in store.log_entries(500) if e["run"] == result.run_id]
        assert "carriers: 3 of them were listed after all" in "\n".join(logged)
    assert follow_up.ok, follow_up.reason
    assert store.keys("carriers") == upstream_now


def _serve_page_1_as(target: int, times: int) -> Callable[[str, int, dict[str, str]], Any]:
    served = {"n": 0}

    def rule(kind: str, page: int, params: dict[str, str]) -> dict[str, str] | None:
        if kind == "carriers" and page == target and (times < 0 or served["n"] < times):
            served["n"] += 1
            return {**params, "page": "1"}  # a cache or gateway answering the wrong page
        return None

    return rule


def test_the_same_page_served_twice_is_fetched_again(store: Store) -> None:
    upstream = SimUpstream(services=20, carriers=60, resources=20)
    with serve(intercept(upstream.app(), _serve_page_1_as(2, times=1))) as url:
        result = engine_for(settings_for(url), store, {"sync.page_concurrency": 1}).run("buildup")
    assert result.ok, result.reason
    assert store.keys("carriers") == upstream.dataset.expected_keys("carriers")


def test_a_page_served_twice_every_time_is_a_gap_not_a_deletion(store: Store) -> None:
    upstream = SimUpstream(services=20, carriers=60, resources=20)
    with serve(upstream.app()) as url:
        assert engine_for(settings_for(url), store).run("buildup").ok
    before = snapshot(store)
    events: list[Any] = []
    with serve(intercept(upstream.app(), _serve_page_1_as(2, times=-1))) as url:
        result = engine_for(settings_for(url), store, events=events).run("buildup")

    carriers = result.types["carriers"]
    assert carriers.state == "partial"
    assert carriers.reason == "1 page(s) missing (gaps); no cleanup; the next run reads them again"
    (gap,) = [e for e in events if isinstance(e, ev.GapRecorded)]
    assert gap.reason.startswith("page 2 came back the same as page 1")
    assert snapshot(store) == before  # the 20 carriers of the real page 2 are still stored


ENDLESS_ASKED: list[int] = []


def _endless(kind: str, page: int, params: dict[str, str]) -> Response | None:
    if kind != "carriers":
        return None
    ENDLESS_ASKED.append(page)
    size = int(params["recordsPerPage"])
    body = [
        {"ExternalId": f"CAR-ENDLESS-{page}-{n}", "Name": f"Endless {page}.{n}"}
        for n in range(size)
    ]
    return Response(json.dumps(body), 200, media_type="application/json")


def test_an_endless_listing_of_full_pages_ends_with_an_error_and_no_cleanup(
    store: Store,
) -> None:
    upstream = SimUpstream(services=20, carriers=60, resources=20)
    with serve(upstream.app()) as url:
        assert engine_for(settings_for(url), store).run("buildup").ok
    real = store.keys("carriers")
    ENDLESS_ASKED.clear()
    with serve(intercept(upstream.app(), _endless)) as url:
        engine = engine_for(settings_for(url), store, {"sync.page_concurrency": 4})
        engine.max_pages = 25
        result = engine.run("buildup")

    carriers = result.types["carriers"]
    assert carriers.state == "failed"
    assert carriers.reason == (
        "carriers: the listing did not end after 25 pages; giving up without cleanup"
    )
    assert result.types["resources"].state == "succeeded"
    assert real <= store.keys("carriers")  # nothing removed
    assert len(ENDLESS_ASKED) <= 25  # the cap bounds the requests too
    assert store.buildup("carriers") is not None
