"""The simulator as an event provider (SPEC §10): the hubs, one entity by its key, and events
POSTed to the registered callbacks for the changes the simulator makes.

- `POST {api}/hub` (`{"callback": URL, "query": ""}`) registers, 201 with the hub's `id`;
  `DELETE {api}/hub/{id}` unregisters (204; 404 for an unknown id), on every dialect's API path.
- `GET {api}/{collection}/{key}`: one entity in the dialect's shape, 404 when it is gone.
- `change(n)`, `remove(kind, key)`, `start_changes(rate)` change the upstream and queue one event
  per change; a sender thread POSTs them to every hub of the change's API, to
  `{callback}/listener/{eventName}` in the TMF shape, or, with the `real` event fault, to the
  callback itself as one real TMF639 server does (`{"eventType": "ResourceChanged", "eventTime",
  "id", "resource": {...}}`).

Event faults (`--faults events:drop=0.1,events:repeat=0.1,events:reorder=0.1,events:truncate=0.1,
events:real`): each event is dropped, sent twice, held back until after the next one, or cut in
half, with the given probability (seeded: the same run makes the same choices).
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.render import render

# kind -> (api, collection path); the same table as the listing routes'
COLLECTIONS = {
    "services": ("tmf638", "service"),
    "carriers": ("tmf638", "carrier"),
    "resources": ("tmf639", "resource"),
}
EVENT_FAULTS = ("drop", "repeat", "reorder", "truncate")
_ACTIONS = {"created": "Create", "changed": "AttributeValueChange", "deleted": "Delete"}
_REAL = {"created": "Created", "changed": "Changed", "deleted": "Deleted"}

Authorized = Callable[[Request, str], bool]


class _LazyClient:
    """An httpx client made on first use, closed at the end of the `with` if it was."""

    def __init__(self) -> None:
        self._client: httpx.Client | None = None

    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=5.0)
        return self._client

    def __enter__(self) -> _LazyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()


@dataclass(frozen=True)
class Hub:
    id: str
    api: str
    callback: str
    dialect: str
    version: int | None


@dataclass
class EventFaults:
    """Probabilities of each event fault, and whether events take the real provider's shape."""

    drop: float = 0.0
    repeat: float = 0.0
    reorder: float = 0.0
    truncate: float = 0.0
    real: bool = False

    @classmethod
    def parse(cls, items: list[str]) -> EventFaults:
        out = cls()
        for item in items:
            name, _, value = item.partition("=")
            if name == "real" and not value:
                out.real = True
                continue
            if name not in EVENT_FAULTS:
                raise ValueError(
                    f"unknown event fault {item!r}; expected events:NAME=P with NAME one of "
                    f"{', '.join(EVENT_FAULTS)} (P between 0 and 1), or events:real"
                )
            try:
                p = float(value)
            except ValueError:
                p = -1.0
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"event fault {item!r}: the probability must be between 0 and 1")
            setattr(out, name, p)
        return out


@dataclass
class _Outgoing:
    hub: Hub
    path: str
    body: bytes


@dataclass
class DeliveryLog:
    """What the provider did with its events (the tests' ground truth)."""

    made: int = 0
    sent: int = 0
    dropped: int = 0
    repeated: int = 0
    reordered: int = 0
    truncated: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


class Provider:
    def __init__(
        self, dataset: Dataset, authorized: Authorized, faults: EventFaults, seed: int
    ) -> None:
        self.dataset = dataset
        self.authorized = authorized
        self.faults = faults
        self.hubs: dict[str, Hub] = {}
        self.log = DeliveryLog()
        self._random = random.Random(seed)
        self._salt = 0
        self._queue: queue.Queue[_Outgoing | None] = queue.Queue()
        self._sender: threading.Thread | None = None
        self._changer: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0

    # -- routes ---------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        out = []
        prefixes = [("ses", None, "/ses")] + [("tmf630", v, f"/tmf630/v{v}") for v in (4, 5)]
        for dialect, version, prefix in prefixes:
            for api in ("tmf638", "tmf639"):
                out.append(
                    Route(
                        f"{prefix}/{api}/hub",
                        self._register(api, dialect, version),
                        methods=["POST"],
                    )
                )
                out.append(
                    Route(f"{prefix}/{api}/hub/{{id}}", self._unregister(api), methods=["DELETE"])
                )
            for kind, (api, collection) in COLLECTIONS.items():
                out.append(
                    Route(f"{prefix}/{api}/{collection}/{{key:path}}", self._one(kind, version))
                )
        return out

    def _register(
        self, api: str, dialect: str, version: int | None
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        async def endpoint(request: Request) -> Response:
            if not self.authorized(request, api):
                return JSONResponse({"code": "401", "reason": "Unauthorized"}, 401)
            try:
                body = json.loads(await request.body())
                callback = body["callback"]
                if not isinstance(callback, str) or not callback.startswith(
                    ("http://", "https://")
                ):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return JSONResponse({"code": "400", "reason": "callback is required"}, 400)
            hub = Hub(uuid.uuid4().hex, api, callback.rstrip("/"), dialect, version)
            with self._lock:
                self.hubs[hub.id] = hub
            return JSONResponse(
                {"id": hub.id, "callback": callback, "query": body.get("query") or ""}, 201
            )

        return endpoint

    def _unregister(self, api: str) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        async def endpoint(request: Request) -> Response:
            if not self.authorized(request, api):
                return JSONResponse({"code": "401", "reason": "Unauthorized"}, 401)
            with self._lock:
                hub = self.hubs.get(request.path_params["id"])
                if hub is None or hub.api != api:
                    return JSONResponse({"code": "404", "reason": "Not Found"}, 404)
                del self.hubs[hub.id]
            return Response(status_code=204)

        return endpoint

    def _one(
        self, kind: str, version: int | None
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        api = COLLECTIONS[kind][0]

        async def endpoint(request: Request) -> Response:
            if not self.authorized(request, api):
                return JSONResponse({"code": "401", "reason": "Unauthorized"}, 401)
            try:
                entity = self.dataset.get(kind, request.path_params["key"])
            except KeyError:
                return JSONResponse({"code": "404", "reason": "Not Found"}, 404)
            return JSONResponse(render(kind, entity, version))

        return endpoint

    # -- changes --------------------------------------------------------------------------------

    def change(self, count: int = 1) -> list[tuple[str, str]]:
        """Make `count` upstream changes now and queue their events."""
        with self._lock:
            self._salt += 1
            salt = self._salt
        made = self.dataset.change_now(count, salt)
        for kind, key in made:
            self.emit(kind, key, "changed")
        return made

    def remove(self, kind: str, key: str) -> None:
        entity = self.dataset.get(kind, key)
        self.dataset.remove(kind, key)
        self.emit(kind, key, "deleted", entity)

    def start_changes(self, rate: float, total: int | None = None) -> threading.Thread:
        """Change `rate` instances a second (in a thread), `total` in all or until `stop()`."""

        def run() -> None:
            started = time.monotonic()
            n = 0
            while not self._stop.is_set() and (total is None or n < total):
                self.change(1)
                n += 1
                self._stop.wait(max(0.0, started + n / rate - time.monotonic()))

        self._changer = threading.Thread(target=run, name="simulator-changes", daemon=True)
        self._changer.start()
        return self._changer

    # -- events ---------------------------------------------------------------------------------

    def emit(self, kind: str, key: str, action: str, entity: dict[str, Any] | None = None) -> None:
        """Queue the event of one change for every hub of its API."""
        api = COLLECTIONS[kind][0]
        with self._lock:
            hubs = [h for h in self.hubs.values() if h.api == api]
        if not hubs:
            return
        if entity is None:
            try:
                entity = self.dataset.get(kind, key)
            except KeyError:
                return
        self.log.made += 1
        event_id = uuid.uuid4().hex
        for hub in hubs:
            path, body = self._event(hub, kind, key, action, entity, event_id)
            self._put(_Outgoing(hub, path, body))

    def _event(
        self, hub: Hub, kind: str, key: str, action: str, entity: dict[str, Any], event_id: str
    ) -> tuple[str, bytes]:
        noun = "resource" if kind == "resources" else "service"
        shown = render(kind, entity, hub.version)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if self.faults.real:
            body: dict[str, Any] = {
                "eventType": f"{noun.capitalize()}{_REAL[action]}",
                "eventTime": now,
                "id": shown.get("id") if hub.dialect == "tmf630" else key,
                noun: shown,
            }
            return "", json.dumps(body).encode()
        name = f"{noun}{_ACTIONS[action]}Event"
        if hub.version == 5 and action != "created":  # v5 payloads may be partial
            shown = {k: shown[k] for k in ("id", "href", "@type") if k in shown}
        body = {
            "eventId": event_id,
            "eventTime": now,
            "eventType": name[0].upper() + name[1:],
            "timeOccurred" if hub.version == 5 else "timeOcurred": now,
            "event": {noun: shown},
        }
        return f"/listener/{name}", json.dumps(body).encode()

    def _put(self, item: _Outgoing) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(item)

    def start(self) -> None:
        self._stop.clear()
        self._sender = threading.Thread(target=self._send_all, name="simulator-events", daemon=True)
        self._sender.start()

    def stop(self) -> None:
        self._stop.set()
        if self._changer is not None:
            self._changer.join(5)
        self._queue.put(None)
        if self._sender is not None:
            self._sender.join(5)
        self._sender = self._changer = None

    def wait_sent(self, timeout: float = 30.0) -> bool:
        """Wait until every queued event was delivered (or dropped); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _send_all(self) -> None:
        # The client is made with the first event to send: most simulators send none, and making
        # one (its TLS context) is most of what starting and stopping the sender costs.
        with _LazyClient() as http:
            held: _Outgoing | None = None
            while True:
                try:
                    item = self._queue.get(timeout=0.2)
                except queue.Empty:
                    if held is not None:  # nothing came after it: send it now
                        self._deliver(http, held)
                        held = None
                    continue
                if item is None:
                    if held is not None:
                        self._deliver(http, held)
                    return
                f, r = self.faults, self._random
                if r.random() < f.drop:
                    self.log.dropped += 1
                    self._done()
                    continue
                if held is None and r.random() < f.reorder:
                    self.log.reordered += 1
                    held = item
                    continue
                self._deliver(http, item)
                if r.random() < f.repeat:
                    self.log.repeated += 1
                    with self._idle:
                        self._pending += 1
                    self._deliver(http, item)
                if held is not None:
                    self._deliver(http, held)
                    held = None

    def _deliver(self, http: _LazyClient, item: _Outgoing) -> None:
        body = item.body
        if self._random.random() < self.faults.truncate:
            self.log.truncated += 1
            body = body[: len(body) // 2]
        try:
            response = http.client().post(
                item.hub.callback + item.path,
                content=body,
                headers={"Content-Type": "application/json"},
            )
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        self.log.sent += 1
        self.log.statuses[status] = self.log.statuses.get(status, 0) + 1
        self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()
