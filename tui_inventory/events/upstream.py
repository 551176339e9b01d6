"""What the event stream asks the upstream: one instance by its key, and the hub registrations.

Requests go through the API's `TmfClient` (its basic auth, TLS, proxy and timeout settings) with
the client's retry rules: 401/403 stop at once, 429/503 honour `Retry-After`, 504 and transport
failures are tried again a bounded number of times.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from tui_inventory.config import Config
from tui_inventory.errors import AuthFailed, Cancelled, TypeFailed
from tui_inventory.tmf.client import RetryPolicy, TmfClient, parse_retry_after
from tui_inventory.tmf.definitions import DEFINITIONS

PasswordSource = Callable[[str], "str | None"]
_RETRY = (429, 502, 503, 504)


class ReadFailed(Exception):
    """The instance could not be read (after the retries); the message says why."""


def make_client(
    config: Config, api: str, passwords: PasswordSource, retry: RetryPolicy | None = None
) -> TmfClient:
    """The API's client as the engine makes it (without page concurrency)."""
    url = config.url_for(api)
    if not url:
        raise TypeFailed(api, f"{api}.url is not set")
    username = config.username_for(api)
    http = config.http
    return TmfClient(
        api,
        url,
        username,
        passwords(api) if username else None,
        dialect=config.sync.dialect,
        page_size=config.sync.records_per_page,
        timeout=http.timeout,
        verify_tls=http.verify_tls,
        ca_bundle=http.ca_bundle,
        bypass_proxy=http.bypass_proxy,
        concurrency=4,
        retry=retry,
    )


def request(client: TmfClient, method: str, url: str, *, body: Any = None) -> tuple[int, bytes]:
    """One request with the client's retry rules; the final status and body. Raises AuthFailed
    (401/403), TypeFailed (unreachable) or ReadFailed (retries exhausted)."""
    retry = client.retry
    wait = retry.backoff
    reason = ""
    for attempt in range(1, retry.attempts + 1):
        delay: float | None = None
        try:
            response = client.http.request(
                method,
                url,
                content=None if body is None else json.dumps(body).encode(),
                headers={"Content-Type": "application/json"} if body is not None else None,
            )
        except httpx.ConnectError as exc:
            raise TypeFailed(client.api, client._connect_message(exc)) from None
        except httpx.TimeoutException:
            reason = f"{client.title} did not answer within the timeout"
        except httpx.TransportError as exc:
            reason = f"{client.title} connection failed: {type(exc).__name__}"
        else:
            status = response.status_code
            if status in (401, 403):
                raise AuthFailed(
                    client.api, f"authentication failed for {client.title} (HTTP {status})"
                )
            if status not in _RETRY:
                return status, response.content
            reason = f"HTTP {status}"
            delay = parse_retry_after(response.headers.get("retry-after"), retry.retry_after_cap)
        if attempt == retry.attempts:
            break
        try:
            client._sleep(delay if delay is not None else wait)
        except Cancelled:
            break
        wait = min(wait * 2, retry.backoff_cap)
    raise ReadFailed(f"{reason} (after {retry.attempts} tries)")


def read_instance(client: TmfClient, config: Config, kind: str, key: str) -> dict[str, Any] | None:
    """`GET {url}{path}/{key}`: the entity, or None when the upstream answers 404."""
    url = f"{client.base_url}{config.path_for(kind)}/{quote(key, safe='')}"
    status, content = request(client, "GET", url)
    if status == 404:
        return None
    if status != 200:
        raise ReadFailed(f"{client.title} answered HTTP {status} for {kind[:-1]} {key!r}")
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise ReadFailed(f"the {kind[:-1]} {key!r} is not the expected JSON") from None
    if isinstance(data, list) and len(data) == 1:  # a gateway that answers with a listing
        data = data[0]
    if not isinstance(data, dict):
        raise ReadFailed(f"the {kind[:-1]} {key!r} is not a JSON object")
    return data


def api_of(kind: str) -> str:
    return DEFINITIONS[kind].api
