"""The listener: the HTTP endpoint the upstream POSTs events to (SPEC §10).

Paths `/{token}/listener/{eventName}` and `/{token}` itself (real providers post to the callback
address as registered). A request without the right token gets 404 and changes nothing; a body
over 1 MB gets 413 (by its Content-Length, and by what actually arrives); anything but a JSON
object naming a known event and a key gets 400; everything else 204 at once, the notice handed to
`on_notice` (the applier's queue), never applied on the request's time.

The server is uvicorn in a background thread, without its access log: a request line holds the
token (the token is registered with the log redaction too, in case anything else logs a URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from tui_inventory import logs
from tui_inventory.errors import InventoryError
from tui_inventory.events.notices import BadEvent, Notice, parse_notice

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0

OnNotice = Callable[[Notice], None]


class ListenerError(InventoryError):
    """The listener could not start (address in use, not available)."""

    title = "Events"


class _TooLarge(Exception):
    pass


NESTED = "the body is not JSON this listener reads: nested too deeply"


def _plain(status: int, text: str = "") -> Response:
    return Response(text, status, media_type="text/plain")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def listener_app(token: str, on_notice: OnNotice, *, dialect: str) -> Starlette:
    """The Starlette application of the listener (served by `Listener`, or by a test's client)."""
    logs.register_secret(token)
    expected = token.encode()

    async def endpoint(request: Request) -> Response:
        given = str(request.path_params.get("token", "")).encode()
        if not secrets.compare_digest(given, expected):
            return _plain(404, "Not Found")
        if request.method != "POST":
            return Response("Method Not Allowed", 405, headers={"Allow": "POST"})
        try:
            raw = await _read_body(request)
        except _TooLarge:
            return _plain(413, "event bodies are limited to 1 MB")
        except ClientDisconnect:
            return _plain(400, "the body did not arrive")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _plain(400, "the body is not JSON")
        except RecursionError:  # a body of thousands of nested arrays: refused like bad JSON
            log.info("event refused: %s", NESTED)
            return _plain(400, NESTED)
        try:
            notice = parse_notice(
                body,
                request.path_params.get("event"),
                dialect=dialect,
                received=time.monotonic(),
            )
        except BadEvent as exc:
            log.info("event refused: %s", exc)
            return _plain(400, str(exc))
        except RecursionError:
            log.info("event refused: %s", NESTED)
            return _plain(400, NESTED)
        on_notice(notice)
        return Response(status_code=204)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes = [
        Route("/{token}", endpoint, methods=methods),
        Route("/{token}/listener/{event}", endpoint, methods=methods),
    ]
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    """uvicorn's server, woken at once by stop() instead of at its next 0.1 s poll."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)


class Listener:
    """The listener on `host:port` (port 0: any free port; `port` tells which) in a thread."""

    def __init__(
        self, host: str, port: int, token: str, on_notice: OnNotice, *, dialect: str = "ses"
    ) -> None:
        self.host = host
        self.requested_port = port
        self.port = 0
        self._app = listener_app(token, on_notice, dialect=dialect)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._failure: BaseException | None = None

    def start(self) -> Listener:
        sock = self._bind()
        config = uvicorn.Config(
            self._app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = server = _Server(config)
        self._socket, self.port = sock, sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="events-listener", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                failure = self._failure
                self.stop()
                raise ListenerError(f"the event listener did not start: {failure or 'timed out'}")
            time.sleep(0.005)
        return self

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise ListenerError(
                    f"events.listen: port {self.requested_port} on {self.host} is already in use"
                ) from None
            raise ListenerError(
                f"events.listen: cannot listen on {self.host}:{self.requested_port}: "
                f"{exc.strerror or exc}"
            ) from None
        return sock

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start()
            self._failure = exc

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        if server is not None:
            server.request_exit()
        if thread is not None:
            thread.join(_STOP_TIMEOUT)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(_STOP_TIMEOUT)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._socket = None
