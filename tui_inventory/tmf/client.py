"""HTTP client for one TMF API in either dialect, with the status handling of SPEC §3.

- 401/403: `AuthFailed` at once, no retry (a retry loop could lock the account).
- 504, timeouts, a body that is not the expected JSON: bounded retries, then `PageFailed` (a gap).
- 429/503: wait as `Retry-After` says (capped), bounded retries, then `PageFailed`.
- 502, other statuses, an unreachable host, a TLS failure: `TypeFailed` (give up the type).
- A body larger than `max_page_bytes`: `PageFailed` at once (it would be as large again).

The password is turned into the basic-auth header at once and kept nowhere else, so neither the
client's attributes nor the frames of a traceback (a crash report with locals) carry it.
"""

from __future__ import annotations

import email.utils
import logging
import queue
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from tui_inventory import jsonio
from tui_inventory.errors import AuthFailed, Cancelled, ConfigError, PageFailed, TypeFailed
from tui_inventory.logs import register_credentials

log = logging.getLogger(__name__)

API_TITLES = {"tmf638": "TMF638", "tmf639": "TMF639"}
RETRY_AFTER_CAP = 60.0
LIST_KEYS = ("items", "data", "results", "result", "records", "value")
# A page body larger than this is refused: a gateway gone wrong, not a page of inventory.
MAX_PAGE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    number: int
    items: list[Any]  # the entities that are JSON objects
    total: int | None  # upstream total when the server says (X-Total-Count)
    strays: int = 0  # entries of the page that are not JSON objects (left out of `items`)

    def is_last(self, page_size: int) -> bool:
        return len(self.items) + self.strays < page_size


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries per page for retryable failures
    backoff: float = 0.5  # first wait; doubles
    backoff_cap: float = 8.0
    retry_after_cap: float = RETRY_AFTER_CAP


def parse_retry_after(value: str | None, cap: float, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), capped; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (now if now is not None else time.time())
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, cap))


class NotAListing(ValueError):
    """A body that decodes as JSON but is not a list of entity objects."""


def decode_listing(content: bytes) -> tuple[list[Any], int]:
    """The entities of a page body (a JSON array of objects, or an object that wraps one) that
    are objects, and how many entries are not.

    A list holding no object at all is not a listing: taken as one, its entries would count as
    entities without keys and the entities the page stood for would look deleted upstream. One
    that holds some keeps them; the caller treats the page as a gap all the same.
    """
    items = _listing(jsonio.loads(content))
    objects = [item for item in items if isinstance(item, dict)]
    strays = len(items) - len(objects)
    if strays and not objects:
        raise NotAListing(f"{strays} of {len(items)} entities are not JSON objects")
    return objects, strays


def _listing(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
        for key in LIST_KEYS:
            for k, v in data.items():
                if k.lower() == key and isinstance(v, list):
                    return v
    raise NotAListing("the body is not a JSON list of entities")


CANCEL_POLL = 0.1  # seconds between looks at the cancel event while a request is awaited


class _TooLarge(Exception):
    pass


class _Job:
    """A request handed to a `_Helper`: its outcome, and when it is there."""

    def __init__(self, call: Callable[[], tuple[httpx.Response, bytes]]) -> None:
        self.call = call
        self.done = threading.Event()
        self.result: tuple[httpx.Response, bytes] | None = None
        self.error: BaseException | None = None


class _Helper:
    """A daemon thread that runs one request at a time for the thread that owns it (a daemon,
    so that a request the upstream never answers does not hold the process at exit)."""

    def __init__(self, name: str) -> None:
        self.busy = False
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    def run(self, call: Callable[[], tuple[httpx.Response, bytes]]) -> _Job:
        job = _Job(call)
        self.busy = True
        self._jobs.put(job)
        return job

    def stop(self) -> None:
        """Ends the thread once its request (if any) has ended."""
        self._jobs.put(None)

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job.result = job.call()
            except BaseException as exc:  # handed to the waiting thread, raised there
                job.error = exc
            finally:
                self.busy = False
                job.done.set()


class TmfClient:
    """Pages of one API's collections. Thread-safe: pages may be fetched concurrently."""

    def __init__(
        self,
        api: str,
        base_url: str,
        username: str | None,
        password: str | None,
        *,
        dialect: str = "ses",
        page_size: int = 50,
        timeout: float = 30.0,
        verify_tls: bool = True,
        ca_bundle: str | None = None,
        bypass_proxy: bool = False,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        cancel: threading.Event | None = None,
        on_retry: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        max_page_bytes: int = MAX_PAGE_BYTES,
    ) -> None:
        if username and password:
            register_credentials(username, password)  # never in a log, whatever logs it
        auth = httpx.BasicAuth(username, password or "") if username else None
        del password  # from here on only the header exists (see the module's docstring)
        self.api = api
        self.title = API_TITLES.get(api, api.upper())
        self.base_url = base_url.rstrip("/")
        self.dialect = dialect
        self.page_size = page_size
        self.retry = retry or RetryPolicy()
        self.cancel = cancel or threading.Event()
        self.on_retry = on_retry or (lambda message: None)
        self.max_page_bytes = max_page_bytes
        self.username = username
        self.bypass_proxy = bypass_proxy
        parts = urlsplit(self.base_url)
        self.host = parts.hostname or ""
        # What the messages name: host:port (a wrong port is the likeliest mistake), never the
        # URL's user:password@.
        self.address = _address(parts)
        verify: ssl.SSLContext | bool = verify_tls
        if verify_tls and ca_bundle:
            verify = _ca_context(ca_bundle)
        self._helpers = threading.local()  # each calling thread's `_Helper`
        self._all_helpers: list[_Helper] = []
        self.http = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            verify=verify,
            trust_env=not bypass_proxy,
            follow_redirects=True,
            limits=httpx.Limits(max_connections=max(concurrency, 1) + 2),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"<TmfClient {self.title} {self.base_url} user={self.username!r} password=***>"

    def close(self) -> None:
        for helper in self._all_helpers:
            helper.stop()
        self.http.close()

    def __enter__(self) -> TmfClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------------

    def params(self, page: int, *, updated_only: bool) -> dict[str, str]:
        if self.dialect == "tmf630":
            return {"offset": str((page - 1) * self.page_size), "limit": str(self.page_size)}
        params = {"status": "1", "recordsPerPage": str(self.page_size), "page": str(page)}
        if updated_only:
            params["updatedDaysAgo"] = "0"
        return params

    def _sleep(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise Cancelled()

    def fetch_page(self, path: str, page: int, *, updated_only: bool = False) -> Page:
        """Fetch and decode one page; raises AuthFailed, TypeFailed, PageFailed or Cancelled."""
        url = self.base_url + path
        params = self.params(page, updated_only=updated_only)
        wait = self.retry.backoff
        last_reason = ""
        for attempt in range(1, self.retry.attempts + 1):
            if self.cancel.is_set():
                raise Cancelled()
            delay: float | None = None
            try:
                response, content = self._get(url, params)
            except _TooLarge:
                raise PageFailed(
                    self.api,
                    f"page {page} is larger than {self.max_page_bytes // (1024 * 1024)} MB; "
                    "refused (an upstream gone wrong, or sync.records_per_page far too large)",
                    page=page,
                ) from None
            except httpx.TimeoutException:
                last_reason = f"{self.title} did not answer within the timeout"
            except httpx.ConnectError as exc:
                raise TypeFailed(self.api, self._connect_message(exc)) from None
            except httpx.TransportError as exc:
                last_reason = f"{self.title} connection failed: {type(exc).__name__}"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise AuthFailed(
                        self.api, f"authentication failed for {self.title} (HTTP {status})"
                    )
                if status in (200, 206):
                    try:
                        items, strays = decode_listing(content)
                    except (ValueError, UnicodeDecodeError) as exc:
                        ctype = response.headers.get("content-type", "?").split(";")[0]
                        why = f": {exc}" if isinstance(exc, NotAListing) else ""
                        last_reason = (
                            f"page {page} is not the expected JSON ({ctype}, "
                            f"{len(content)} bytes{why})"
                        )
                    else:
                        return Page(page, items, _total(response), strays)
                elif status == 504:
                    last_reason = f"HTTP 504 gateway timeout on page {page}"
                elif status in (429, 503):
                    last_reason = f"HTTP {status} on page {page}"
                    delay = parse_retry_after(
                        response.headers.get("retry-after"), self.retry.retry_after_cap
                    )
                else:
                    raise TypeFailed(
                        self.api,
                        f"{self.title} answered HTTP {status} on page {page}; giving up this type",
                    )
            if attempt == self.retry.attempts:
                break
            pause = delay if delay is not None else wait
            self.on_retry(
                f"{last_reason}; retry {attempt} of {self.retry.attempts - 1} in {pause:.1f} s"
            )
            self._sleep(pause)
            wait = min(wait * 2, self.retry.backoff_cap)
        raise PageFailed(self.api, f"{last_reason} (after {self.retry.attempts} tries)", page=page)

    def _get(self, url: str, params: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """One GET, abandoned as soon as the run is cancelled (raises Cancelled): an upstream
        that accepts and never answers must not hold a cancel or a quit for `http.timeout`.

        The request runs on a helper thread that this one waits for, polling the cancel event;
        an abandoned request ends with its timeout or when the client is closed, and its page
        was not stored, so a resumed buildup reads it again. Each calling thread keeps its
        helper for the next request (a thread started per page cost the buildup's process 8 %
        more CPU, measured with benchmarks/buildup_bench.py); one left busy by an abandoned
        request is replaced."""
        if self.cancel.is_set():
            raise Cancelled()
        helper: _Helper | None = getattr(self._helpers, "helper", None)
        if helper is None or helper.busy:
            helper = self._helpers.helper = _Helper(f"http-{self.api}")
            self._all_helpers.append(helper)
        job = helper.run(lambda: self._get_now(url, params))
        while not job.done.wait(CANCEL_POLL):
            if self.cancel.is_set():
                raise Cancelled()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _get_now(self, url: str, params: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """One GET on this thread; the body of a listing is read up to `max_page_bytes` (error
        bodies not at all: only their status and headers are used)."""
        with self.http.stream("GET", url, params=params) as response:
            if response.status_code not in (200, 206):
                return response, b""
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_page_bytes:
                raise _TooLarge()
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_page_bytes:
                    raise _TooLarge()
                chunks.append(chunk)
            return response, b"".join(chunks)

    def _proxy(self) -> str | None:
        """The proxy (host:port) the environment routes this API through, if any."""
        if self.bypass_proxy:
            return None
        scheme = urlsplit(self.base_url).scheme
        proxies = urllib.request.getproxies_environment()
        proxy = proxies.get(scheme) or proxies.get("all")
        if not proxy or urllib.request.proxy_bypass(self.host):
            return None
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

    def _connect_message(self, exc: Exception) -> str:
        proxy = self._proxy()
        if proxy is not None and "SSL" not in str(exc):
            return (
                f"cannot reach {self.title} at {self.address} through the proxy {proxy} "
                "(from the proxy environment variables; http.bypass_proxy ignores them)"
            )
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
            return (
                f"TLS verification failed for {self.title} at {self.address}: the server's "
                "certificate is not trusted (set http.ca_bundle to its CA file)"
            )
        if "SSL" in text or "TLS" in text:
            return f"TLS handshake with {self.title} at {self.address} failed"
        if "Name or service not known" in text or "nodename nor servname" in text:
            return f"cannot reach {self.title}: unknown host {self.host}"  # no port involved
        if "refused" in text.lower():
            return f"cannot reach {self.title} at {self.address}: connection refused"
        return f"cannot reach {self.title} at {self.address}"

    def test_connection(self, path: str) -> str:
        """Fetch one small page: a plain sentence on success, the typed error otherwise."""
        saved = self.page_size
        self.page_size = 1
        try:
            page = self.fetch_page(path, 1)
        finally:
            self.page_size = saved
        total = f", {page.total} items" if page.total is not None else ""
        return f"{self.title} answered: authenticated{total}"


def _address(parts: SplitResult) -> str:
    """`host` or `host:port` as the URL gives them (IPv6 in brackets); the userinfo never."""
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a port number: say nothing rather than echo the raw text
        port = None
    return f"{host}:{port}" if port is not None else host


def _ca_context(ca_bundle: str) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except ssl.SSLError:
        reason = "it holds no usable CA certificate (PEM)"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    raise ConfigError(f"http.ca_bundle {ca_bundle} cannot be used: {reason}")


def _total(response: httpx.Response) -> int | None:
    value = response.headers.get("x-total-count")
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    return n if n >= 0 else None
