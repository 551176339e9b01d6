"""The monitoring endpoints (`sync --serve HOST:PORT` or `ops.listen`): `/metrics` (prometheus-
client's own WSGI app, so its content negotiation and compression come with it), `/livez` and
`/readyz`, on prometheus-client's threading WSGI server in a background thread of the daemon."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from tui_inventory.errors import InventoryError
from tui_inventory.ops.health import readiness
from tui_inventory.ops.metrics import Metrics

if TYPE_CHECKING:
    from tui_inventory.store.repo import Store

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


class ServeError(InventoryError):
    title = "Monitoring"


class _QuietHandler(WSGIRequestHandler):
    """No line on stderr per request (the daemon's stdout is its JSON log)."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("monitoring: " + format, *args)


class _Server(ThreadingWSGIServer):
    address_family = socket.AF_INET


class _Server6(ThreadingWSGIServer):
    address_family = socket.AF_INET6


def make_app(metrics: Metrics, store: Store, update_frequency: float) -> Callable[..., Any]:
    metrics_app = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]
        if path == "/livez":
            return _text(start_response, "200 OK", "ok\n")
        if path == "/readyz":
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            checks = readiness(store, update_frequency)
            ready = all(c.ok for c in checks)
            shown = checks if "verbose" in query else [c for c in checks if not c.ok]
            body = "".join(c.line() + "\n" for c in shown) or "ok\n"
            return _text(start_response, "200 OK" if ready else "503 Service Unavailable", body)
        return _text(start_response, "404 Not Found", "not found: /metrics, /livez, /readyz\n")

    return app


def _text(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


class MonitoringServer:
    """The endpoints on `host:port` (port 0: any free port; `address` says which)."""

    def __init__(self, host: str, port: int, app: Callable[..., Any]) -> None:
        server_class = _Server6 if ":" in host else _Server
        try:
            self.httpd = make_server(
                host, port, app, server_class=server_class, handler_class=_QuietHandler
            )
        except OSError as exc:
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise ServeError(
                f"cannot serve the monitoring endpoints on {where}: {exc.strerror or exc}"
            ) from None
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="monitoring", daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"

    def start(self) -> MonitoringServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)
