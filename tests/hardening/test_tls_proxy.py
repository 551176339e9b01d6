"""TLS and proxies: a self-signed upstream fails closed until `http.ca_bundle` names its CA; a redirect
to another host never carries the credentials; the proxy variables are honoured, and ignored with
`http.bypass_proxy`.

The upstream is the simulator's own app served by uvicorn over real TLS with a certificate made
for the test; the proxy is a small forwarding proxy on loopback that records what it forwards.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile import (
    RecordingProxy,
    SimUpstream,
    engine_for,
    self_signed,
    serve,
    settings_for,
    snapshot,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse

from tui_inventory import KINDS
from tui_inventory.store.repo import Store

pytest.importorskip("cryptography", reason="the TLS tests make their certificate with cryptography")
UNTRUSTED = (
    "TLS verification failed for {title} at 127.0.0.1:{port}: the server's certificate is not "
    "trusted "
    "(set http.ca_bundle to its CA file)"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(str(tmp_path / "inventory.db"))
    yield s
    s.close()


def test_a_self_signed_upstream_fails_closed_until_ca_bundle_names_its_ca(
    tmp_path: Path, store: Store
) -> None:
    cert, key = self_signed(tmp_path, "upstream")
    stranger, _ = self_signed(tmp_path, "another-ca")
    upstream = SimUpstream(services=30, carriers=30, resources=30)

    with serve(upstream.app(), certfile=cert, keyfile=key) as url:
        assert url.startswith("https://")
        port = httpx.URL(url).port
        refused = engine_for(settings_for(url), store).run("buildup")
        wrong_ca = engine_for(settings_for(url), store, {"http.ca_bundle": str(stranger)}).run(
            "buildup"
        )
        assert upstream.requests == []  # fail closed: not one request got through
        trusted = engine_for(settings_for(url), store, {"http.ca_bundle": str(cert)}).run("buildup")

    for result in (refused, wrong_ca):
        assert result.state == "failed"
        for kind in KINDS:
            title = "TMF639" if kind == "resources" else "TMF638"
            assert result.types[kind].state == "failed"
            assert result.types[kind].reason == UNTRUSTED.format(title=title, port=port)
    assert trusted.ok, trusted.reason
    for kind in KINDS:
        assert store.keys(kind) == upstream.dataset.expected_keys(kind)


def test_a_ca_bundle_that_is_no_certificate_is_a_clear_error(tmp_path: Path, store: Store) -> None:
    cert, key = self_signed(tmp_path, "upstream")
    garbage = tmp_path / "not-a-ca.pem"
    garbage.write_text("this is not a certificate\n")
    upstream = SimUpstream(services=20, carriers=20, resources=20)
    with serve(upstream.app(), certfile=cert, keyfile=key) as url:
        engine = engine_for(settings_for(url), store, {"http.ca_bundle": str(garbage)})
        result = engine.run("buildup")
        garbage.unlink()  # a bundle removed after it was configured
        gone = engine.run("buildup")

    assert result.types["services"].reason == (
        f"http.ca_bundle {garbage} cannot be used: it holds no usable CA certificate (PEM)"
    )
    assert gone.types["services"].reason == (
        f"http.ca_bundle {garbage} cannot be used: No such file or directory"
    )
    assert upstream.requests == []


class _Recorder:
    """Another host: records the headers of what reaches it and answers like an empty listing."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        await JSONResponse([])(scope, receive, send)


def _redirecting(app: Any, target: str) -> Any:
    """`app`, but the carriers collection answers 307 to the same path and query at `target`."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/carrier"):
            query = scope.get("query_string", b"").decode()
            location = f"{target}{scope['path']}?{query}"
            await RedirectResponse(location, status_code=307)(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapped


def test_a_redirect_to_another_host_never_carries_the_authorization_header(
    store: Store,
) -> None:
    upstream = SimUpstream(services=20, carriers=30, resources=20)
    with serve(upstream.app()) as url:
        assert engine_for(settings_for(url), store).run("buildup").ok
    before = snapshot(store)
    other = _Recorder()

    with serve(other) as other_url:  # type: ignore[arg-type]
        another_host = other_url.replace("127.0.0.1", "localhost")
        with serve(_redirecting(upstream.app(), another_host)) as url:
            result = engine_for(settings_for(url), store).run("buildup")

    assert other.headers, "the redirect was not followed"
    assert all("authorization" not in h for h in other.headers)
    assert all("cookie" not in h for h in other.headers)
    # What the other host answered (an empty listing) is held back, not taken for deletions
    carriers = result.types["carriers"]
    assert carriers.state == "held"
    assert snapshot(store) == before
    assert result.types["services"].state == "succeeded"  # same host: credentials sent, fine


def test_a_redirect_on_the_same_host_keeps_working(store: Store) -> None:
    upstream = SimUpstream(services=20, carriers=30, resources=20)

    async def moved(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/old/"):
            query = scope.get("query_string", b"").decode()
            location = f"{scope['path'].removeprefix('/old')}?{query}"
            await RedirectResponse(location, status_code=308)(scope, receive, send)
            return
        await upstream.app()(scope, receive, send)

    with serve(moved) as url:  # type: ignore[arg-type]
        settings = settings_for(url)
        settings["tmf638.url"] = f"{url}/old/ses/tmf638"
        result = engine_for(settings, store).run("buildup")

    assert result.ok, result.reason
    assert store.keys("carriers") == upstream.dataset.expected_keys("carriers")


# -- proxies ---------------------------------------------------------------------------------------


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the proxy variables (as a shell profile would) to `proxy_env(url)`; no exclusions."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)

    def set_proxy(url: str) -> None:
        monkeypatch.setenv("HTTP_PROXY", url)
        monkeypatch.setenv("http_proxy", url)

    yield set_proxy


def test_proxy_variables_are_honoured_and_bypass_proxy_ignores_them(
    sim: Any, store: Store, proxy_env: Any, tmp_path: Path
) -> None:
    with RecordingProxy() as proxy:
        proxy_env(proxy.url)
        through = engine_for(sim.settings("ses"), store).run("buildup")
        forwarded = len(proxy.requests)
        with Store(str(tmp_path / "direct.db")) as direct:
            bypassed = engine_for(sim.settings("ses"), direct, {"http.bypass_proxy": True}).run(
                "buildup"
            )
            assert snapshot(direct) == snapshot(store)

    assert through.ok, through.reason
    assert forwarded > 0
    assert all(url.startswith(sim.base_url + "/ses/") for url in proxy.requests)
    assert bypassed.ok, bypassed.reason
    assert len(proxy.requests) == forwarded  # not one request more went through the proxy


def test_a_dead_proxy_is_named_in_the_error_and_bypass_proxy_goes_around_it(
    sim: Any, store: Store, proxy_env: Any
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    proxy_env(f"http://127.0.0.1:{dead}")

    refused = engine_for(sim.settings("ses"), store).run("buildup")
    bypassed = engine_for(sim.settings("ses"), store, {"http.bypass_proxy": True}).run("buildup")

    assert refused.types["services"].reason == (
        f"cannot reach TMF638 at 127.0.0.1:{sim.port} through the proxy 127.0.0.1:{dead} (from "
        "the proxy "
        "environment variables; http.bypass_proxy ignores them)"
    )
    assert bypassed.ok, bypassed.reason
