"""Hostile parts for the hardening suite: upstreams that misbehave, a network that swallows
requests, a recording proxy, a self-signed certificate.

Everything here is real over loopback: the simulator's own ASGI app served by uvicorn (wrapped
where a case needs an answer the simulator cannot give), plain sockets, a forwarding HTTP proxy.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import uvicorn
from conftest import FAST_RETRY
from starlette.responses import Response

from tui_inventory.config import Config
from tui_inventory.simulator.app import COLLECTIONS, PASSWORDS, USERNAMES, Upstream
from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.faults import Faults
from tui_inventory.simulator.generate import KEY_FIELDS, ci_name, key_of
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.tmf.client import RetryPolicy

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

# -- serving an ASGI app on loopback ----------------------------------------------------------------


@contextmanager
def serve(
    app: ASGIApp, *, certfile: Path | None = None, keyfile: Path | None = None
) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port (TLS with `certfile`); yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="critical",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.005)
    try:
        yield f"{'https' if certfile else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)
        sock.close()


@dataclass
class SimUpstream:
    """The simulator's upstream (dataset, faults, request log) as an ASGI app of our own to wrap or
    to serve over TLS. `Simulator` serves the same app plainly."""

    services: int = 60
    carriers: int = 60
    resources: int = 60
    seed: int = 1
    dataset: Dataset = field(init=False)
    faults: Faults = field(init=False)
    upstream: Upstream = field(init=False)

    def __post_init__(self) -> None:
        self.dataset = Dataset(
            services=self.services, carriers=self.carriers, resources=self.resources, seed=self.seed
        )
        self.faults = Faults()
        self.upstream = Upstream(self.dataset, self.faults)

    def app(self) -> ASGIApp:
        return self.upstream.app()  # type: ignore[return-value]

    @property
    def requests(self) -> list[Any]:
        return self.upstream.requests


def settings_for(base_url: str) -> dict[str, Any]:
    """Config values (dotted keys) that point the product at a simulator app served at `base_url`
    in the ses dialect (the same values as `Simulator.settings("ses")`)."""
    return {
        "tmf638.url": f"{base_url}/ses/tmf638",
        "tmf638.username": USERNAMES["tmf638"],
        "tmf639.url": f"{base_url}/ses/tmf639",
        "tmf639.username": USERNAMES["tmf639"],
        "sync.dialect": "ses",
        "tmf638.services_path": "/" + COLLECTIONS["services"][1],
        "tmf638.carriers_path": "/" + COLLECTIONS["carriers"][1],
        "tmf639.resources_path": "/" + COLLECTIONS["resources"][1],
    }


def config_for(settings: dict[str, Any], **overrides: Any) -> Config:
    cfg = Config()
    values = {"sync.records_per_page": 20, **settings, **overrides}
    for name, value in values.items():
        cfg.set(name, value)
    return cfg


def engine_for(
    settings: dict[str, Any],
    store: Store,
    overrides: dict[str, Any] | None = None,
    *,
    events: list[Any] | None = None,
    retry: RetryPolicy = FAST_RETRY,
) -> SyncEngine:
    """An engine on `settings` (dotted keys) changed by `overrides` (`{"http.timeout": 1}`), with
    the demo passwords and fast retries."""
    return SyncEngine(
        config_for(settings, **(overrides or {})),
        store,
        passwords=dict(PASSWORDS).get,
        on_event=events.append if events is not None else None,
        retry=retry,
    )


def listed_keys(dataset: Dataset, kind: str) -> list[str]:
    """The keys of the upstream listing, in its order."""
    return [k for e in dataset.items(kind) if (k := key_of(kind, e))]


def new_entity(dataset: Dataset, kind: str, key: str) -> dict[str, Any]:
    """A copy of the listing's first entity of `kind` under a new key (its key field, whatever
    its casing, replaced), to `dataset.add`."""
    entity = dict(dataset.get(kind, listed_keys(dataset, kind)[0]))
    entity[ci_name(entity, KEY_FIELDS[kind]) or KEY_FIELDS[kind]] = key
    return entity


# -- answering chosen requests otherwise -----------------------------------------------------------

Rule = Callable[[str, int, dict[str, str]], "Response | dict[str, str] | None"]
_KIND_OF = {f"/{collection}": kind for kind, (_, collection) in COLLECTIONS.items()}


def kind_of(path: str) -> str | None:
    for suffix, kind in _KIND_OF.items():
        if path.endswith(suffix):
            return kind
    return None


def intercept(app: ASGIApp, rule: Rule) -> ASGIApp:
    """`app` with each listing request first shown to `rule(kind, page, params)`, which may answer
    it (a Response), rewrite its query (a dict of parameters) or let it through (None)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = kind_of(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is not None:
            params = dict(parse_qsl(scope.get("query_string", b"").decode()))
            page = int(params.get("page") or 1)
            answer = rule(kind, page, params)
            if isinstance(answer, Response):
                await answer(scope, receive, send)
                return
            if isinstance(answer, dict):
                scope = {**scope, "query_string": urlencode(answer).encode()}
        await app(scope, receive, send)

    return wrapped


# -- a network that swallows requests -------------------------------------------------------------


@contextmanager
def blackhole() -> Iterator[str]:
    """A loopback port that listens but never accepts nor answers: connections hang, as they do
    behind a firewall that drops packets. Yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


# -- a forwarding HTTP proxy that records what goes through it ------------------------------------


class _ProxyHandler(BaseHTTPRequestHandler):
    server: RecordingProxy

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        target = urlsplit(self.path)
        if not target.hostname:  # not a proxy request (origin-form): refuse
            self.send_error(400, "absolute URI expected")
            return
        hop = {"connection", "proxy-connection", "keep-alive", "host", "proxy-authorization"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
        try:
            query = f"?{target.query}" if target.query else ""
            conn.request("GET", target.path + query, headers=headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class RecordingProxy(ThreadingHTTPServer):
    """A plain forwarding proxy for http:// URLs on loopback; `requests` lists the URLs asked."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(5)


# -- a self-signed certificate ---------------------------------------------------------------------


def self_signed(directory: Path, name: str = "upstream") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (its own CA); returns (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} (self-signed)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# -- the store -------------------------------------------------------------------------------------


def integrity(path: Path | str) -> str:
    import sqlite3

    with sqlite3.connect(str(path)) as conn:
        return str(conn.execute("pragma integrity_check").fetchone()[0])


def snapshot(store: Store) -> dict[tuple[str, str], str]:
    """(kind, key) -> digest of every stored instance."""
    inst = store.m.instance
    return {(k, key): d for k, key, d in inst.select(inst.kind, inst.key, inst.digest).tuples()}


def hooked_path(directory: Path, code: str) -> str:
    """A PYTHONPATH whose `sitecustomize` runs `code` at the start of every Python process given it
    — the sync's own and its store process (which a monkeypatch in this process cannot reach)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(code)
    return os.pathsep.join([str(directory), *filter(None, [os.environ.get("PYTHONPATH")])])
