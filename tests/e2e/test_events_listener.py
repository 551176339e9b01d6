"""The event listener over real HTTP on loopback: token, size and shape limits, the shapes of §10."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from tui_inventory.events.listener import MAX_BODY, Listener
from tui_inventory.events.notices import Notice

TOKEN = "tok-9f1c2a7e5b3d4c6a8e0f"


@pytest.fixture
def listening() -> Iterator[tuple[str, list[Notice]]]:
    notices: list[Notice] = []
    listener = Listener("127.0.0.1", 0, TOKEN, notices.append).start()
    yield f"http://127.0.0.1:{listener.port}", notices
    listener.stop()


V4 = {
    "eventId": "e-1",
    "eventTime": "2026-12-02T10:00:00Z",
    "eventType": "ServiceAttributeValueChangeEvent",
    "timeOcurred": "2026-12-02T10:00:00Z",
    "event": {"service": {"id": "sys-1", "ExternalId": "SVC-000001", "name": "x"}},
}
V5_RESOURCE = {
    "eventId": "e-2",
    "eventType": "ResourceDeleteEvent",
    "timeOccurred": "2026-12-02T10:00:01Z",
    "event": {"resource": {"id": "MDM-1", "@type": "Resource"}},
}
REAL_PROVIDER = {
    "eventType": "ResourceChanged",
    "eventTime": "2026-12-02T10:00:02Z",
    "id": "SAT-SES17",
    "resource": {"name": "SES-17"},
}
CARRIER = {
    "eventId": "e-3",
    "eventType": "ServiceCreated",
    "service": {"ExternalId": "CAR-1", "@type": "Carrier"},
}


def test_the_shapes_of_section_10_are_accepted_with_204(
    listening: tuple[str, list[Notice]],
) -> None:
    base, notices = listening
    with httpx.Client() as http:
        assert (
            http.post(
                f"{base}/{TOKEN}/listener/serviceAttributeValueChangeEvent", json=V4
            ).status_code
            == 204
        )
        assert (
            http.post(f"{base}/{TOKEN}/listener/resourceDeleteEvent", json=V5_RESOURCE).status_code
            == 204
        )
        assert http.post(f"{base}/{TOKEN}", json=REAL_PROVIDER).status_code == 204
        assert http.post(f"{base}/{TOKEN}", json=CARRIER).status_code == 204
    got = [(n.kind, n.key, n.action, n.event_id) for n in notices]
    assert got == [
        ("services", "SVC-000001", "changed", "e-1"),
        ("resources", "MDM-1", "deleted", "e-2"),
        ("resources", "SAT-SES17", "changed", None),
        ("carriers", "CAR-1", "created", "e-3"),
    ]


def test_a_wrong_token_gets_404_and_changes_nothing(listening: tuple[str, list[Notice]]) -> None:
    base, notices = listening
    with httpx.Client() as http:
        for path in ("/wrong", f"/{TOKEN[:-1]}/listener/x", "/", f"/{TOKEN}x"):
            assert http.post(base + path, json=V4).status_code == 404, path
    assert notices == []


def test_a_body_over_1_mb_gets_413(listening: tuple[str, list[Notice]]) -> None:
    base, notices = listening
    big = json.dumps({**V4, "padding": "x" * MAX_BODY}).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: only the bytes that arrive tell
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    with httpx.Client() as http:
        assert http.post(f"{base}/{TOKEN}", content=big).status_code == 413
        assert http.post(f"{base}/{TOKEN}", content=chunks()).status_code == 413
    assert notices == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"eventType": "SomethingElse", "id": "1"}).encode(),
        json.dumps({"eventType": "ServiceCreateEvent", "event": {"service": {}}}).encode(),
        b'{"eventType": "ResourceChanged", "resource": {"id": null}}',
    ],
)
def test_what_names_no_known_event_or_no_key_gets_400(
    listening: tuple[str, list[Notice]], body: bytes
) -> None:
    base, notices = listening
    with httpx.Client() as http:
        assert http.post(f"{base}/{TOKEN}", content=body).status_code == 400
    assert notices == []


def test_the_event_name_of_the_path_serves_when_the_body_names_none(
    listening: tuple[str, list[Notice]],
) -> None:
    base, notices = listening
    body = {"event": {"resource": {"id": "R-9"}}}
    with httpx.Client() as http:
        assert (
            http.post(f"{base}/{TOKEN}/listener/resourceCreateEvent", json=body).status_code == 204
        )
    assert [(n.kind, n.key, n.action) for n in notices] == [("resources", "R-9", "created")]


def test_a_deeply_nested_body_gets_400_and_one_line_in_the_log(
    listening: tuple[str, list[Notice]], caplog: pytest.LogCaptureFixture
) -> None:
    """50,000 nested arrays (under the size limit) overflow the JSON decoder's recursion: a 400
    like any other bad body and one line in the log, not a 500 with a traceback; the listener
    takes the next event as before."""
    base, notices = listening
    nested = '{"eventType": "ServiceCreateEvent", "event": {"service": {"id": "x", "v": '
    body = (nested + "[" * 50_000 + "]" * 50_000 + "}}}").encode()
    assert len(body) < MAX_BODY
    with caplog.at_level("INFO"), httpx.Client() as http:
        answer = http.post(f"{base}/{TOKEN}", content=body)
        assert answer.status_code == 400, answer.text
        assert "nested too deeply" in answer.text
        assert http.post(f"{base}/{TOKEN}", content=json.dumps(V4).encode()).status_code == 204
    assert [n.key for n in notices] == ["SVC-000001"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused == ["event refused: the body is not JSON this listener reads: nested too deeply"]
