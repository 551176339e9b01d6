"""The HTTP side: routes of both dialects, basic auth, paging, faults, latency and the page cache."""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.drift import drift
from tui_inventory.simulator.faults import PAGE_FAULTS, Fault, Faults, spoil
from tui_inventory.simulator.generate import KINDS
from tui_inventory.simulator.render import encode, render

# Fixed, documented demo credentials: one user per API, as the operator's gateway has.
USERNAMES = {"tmf638": "tmf638-demo", "tmf639": "tmf639-demo"}
PASSWORDS = {"tmf638": "orbit-638-demo", "tmf639": "beam-639-demo"}

# kind -> (api, collection path)
COLLECTIONS = {
    "services": ("tmf638", "service"),
    "carriers": ("tmf638", "carrier"),
    "resources": ("tmf639", "resource"),
}
MAX_PAGE_SIZE = 10_000
DEFAULT_CACHE_BYTES = 128 * 1024 * 1024
_JSON = "application/json"
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    401: "Unauthorized",
    403: "Forbidden",
    429: "Too Many Requests",
}
_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Proxy Error</title></head><body>"
    b"<h1>Proxy Error</h1><p>The proxy server received an invalid response from an upstream "
    b"server.</p><hr><address>Apache Server at gateway Port 443</address></body></html>"
)


@dataclass(frozen=True)
class RequestRecord:
    """One request served: `dialect` is "ses" or "tmf630" (`version` 4 or 5), `page` 1-based."""

    dialect: str
    kind: str
    params: dict[str, str]
    status: int
    version: int | None = None
    page: int | None = None
    fault: str | None = None


@dataclass(frozen=True)
class _Query:
    page: int
    start: int
    stop: int
    updated_days_ago: int | None


@dataclass(frozen=True)
class _Rendered:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    media_type: str = _JSON

    def response(self) -> Response:
        return Response(self.body, self.status, self.headers, self.media_type)


class PageCache:
    """Rendered pages by (route, query, dataset version), least recently used out past a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[Any, ...], _Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _Rendered | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[Any, ...], item: _Rendered) -> None:
        if len(item.body) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= len(old.body) if old else 0
            self._items[key] = item
            self._bytes += len(item.body)
            while self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted.body)


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _query(dialect: str, params: dict[str, str]) -> _Query:
    days = params.get("updatedDaysAgo")
    updated = None if days is None else _int_param(params, "updatedDaysAgo", 0, 0, 3650)
    if dialect == "ses":
        size = _int_param(params, "recordsPerPage", 50, 1, MAX_PAGE_SIZE)
        page = _int_param(params, "page", 1, 1, 10**9)
        start = (page - 1) * size
        return _Query(page, start, start + size, updated)
    offset = _int_param(params, "offset", 0, 0, 10**12)
    limit = _int_param(params, "limit", 20, 1, MAX_PAGE_SIZE)
    return _Query(offset // limit + 1, offset, offset + limit, updated)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> _Rendered:
    body = encode(
        {"code": str(status), "reason": _REASONS.get(status, "Error"), "message": message}
    )
    return _Rendered(status, headers or {}, body)


class Upstream:
    """Everything a request needs: the dataset, faults, latency, credentials, the request log."""

    def __init__(
        self,
        dataset: Dataset,
        faults: Faults,
        *,
        latency_ms: int = 0,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.dataset = dataset
        self.faults = faults
        self.latency_ms = latency_ms
        self.requests: list[RequestRecord] = []
        self.auto_tick = False
        self.cache = PageCache(cache_bytes)
        self._last_auto_tick = 0.0
        self.extra_routes: list[Route] = []  # the event provider's (see `simulator.provider`)

    def app(self) -> Starlette:
        routes = [Route("/", self._index), Route("/admin/drift", self._drift, methods=["POST"])]
        for kind, (api, collection) in COLLECTIONS.items():
            routes.append(Route(f"/ses/{api}/{collection}", self._endpoint("ses", None, kind)))
            for version in (4, 5):
                path = f"/tmf630/v{version}/{api}/{collection}"
                routes.append(Route(path, self._endpoint("tmf630", version, kind)))
        return Starlette(routes=routes + self.extra_routes)

    def _endpoint(
        self, dialect: str, version: int | None, kind: str
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        async def endpoint(request: Request) -> Response:
            return await self._handle(request, dialect, version, kind)

        return endpoint

    async def _index(self, request: Request) -> Response:
        paths = {
            f"{kind}": {
                "ses": f"/ses/{api}/{collection}",
                "tmf630 v4": f"/tmf630/v4/{api}/{collection}",
                "tmf630 v5": f"/tmf630/v5/{api}/{collection}",
            }
            for kind, (api, collection) in COLLECTIONS.items()
        }
        return JSONResponse({"service": "tui-inventory simulator", "collections": paths})

    async def _drift(self, request: Request) -> Response:
        """Drift upstream now (see `simulator.drift`): `POST /admin/drift[?kinds=a,b]`."""
        wanted = request.query_params.get("kinds")
        try:
            done = drift(self.dataset, wanted.split(",") if wanted else KINDS)
        except ValueError as exc:
            return _error(400, str(exc)).response()
        return JSONResponse({k: vars(d) for k, d in done.items()})

    async def _handle(
        self, request: Request, dialect: str, version: int | None, kind: str
    ) -> Response:
        params = dict(request.query_params)
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)
        page: int | None = None
        fault: Fault | None = None
        api = COLLECTIONS[kind][0]
        if not self._authorized(request, api):
            rendered = _error(
                401, f"authentication required for {api.upper()}", {"WWW-Authenticate": "Basic"}
            )
        else:
            try:
                query = _query(dialect, params)
            except ValueError as exc:
                rendered = _error(400, str(exc))
            else:
                page = query.page
                fault = self.faults.take(kind, query.page)
                self._maybe_auto_tick(kind, query)
                rendered = self._page(dialect, version, kind, query, fault)
        self.requests.append(
            RequestRecord(
                dialect,
                kind,
                params,
                rendered.status,
                version,
                page,
                fault.fault if fault else None,
            )
        )
        return rendered.response()

    def _authorized(self, request: Request, api: str) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        user_ok = secrets.compare_digest(user.encode(), USERNAMES[api].encode())
        password_ok = secrets.compare_digest(password.encode(), PASSWORDS[api].encode())
        return bool(sep) and user_ok and password_ok

    def _maybe_auto_tick(self, kind: str, query: _Query) -> None:
        # In the foreground simulator, each periodic update (its first services page) finds news.
        if (
            not self.auto_tick
            or kind != "services"
            or query.updated_days_ago is None
            or query.start
        ):
            return
        now = time.monotonic()
        if now - self._last_auto_tick >= 1.0:
            self._last_auto_tick = now
            self.dataset.tick()

    def warm(self, dialect: str, version: int | None, size: int) -> int:
        pages = 0
        for kind in COLLECTIONS:
            for start in range(0, len(self.dataset.view(kind)) + 1, size):
                query = _Query(start // size + 1, start, start + size, None)
                self._page(dialect, version, kind, query, None)
                pages += 1
        return pages

    def _page(
        self, dialect: str, version: int | None, kind: str, query: _Query, fault: Fault | None
    ) -> _Rendered:
        if fault is not None and fault.fault not in PAGE_FAULTS:
            return _fault(fault)
        dataset = self.dataset
        with dataset.lock:
            key = (
                dialect,
                version,
                kind,
                query.start,
                query.stop,
                query.updated_days_ago,
                dataset.version(kind),
            )
            rendered = self.cache.get(key)
            if rendered is None:
                entities, total = dataset.page(
                    kind, query.start, query.stop, query.updated_days_ago
                )
                body = encode([render(kind, e, version) for e in entities])
                headers: dict[str, str] = {}
                status = 200
                if dialect == "tmf630":
                    headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(entities))}
                    status = 206 if len(entities) < total else 200
                rendered = _Rendered(status, headers, body)
                self.cache.put(key, rendered)
        if fault is not None and fault.fault == "truncated":  # the real page, cut in half
            return _Rendered(200, {}, spoil(fault.fault, rendered.body))
        if fault is not None:  # the real page, spoilt (its headers kept: the total holds)
            return _Rendered(rendered.status, rendered.headers, spoil(fault.fault, rendered.body))
        return rendered


def _fault(fault: Fault) -> _Rendered:
    name = fault.fault
    if name == "html":
        return _Rendered(200, {}, _HTML_PAGE, "text/html")
    if name == "not-objects":
        return _Rendered(200, {}, b'[1,"two",3.5,null,true]')
    if name == "empty":
        return _Rendered(200, {}, b"[]")
    status = int(name)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Basic"
    if fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
    return _error(status, f"injected fault {name} on page {fault.page}", headers)
