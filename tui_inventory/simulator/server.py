"""`Simulator`: the upstream APIs on loopback, served by uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from tui_inventory.errors import InventoryError
from tui_inventory.simulator.app import (
    COLLECTIONS,
    DEFAULT_CACHE_BYTES,
    PASSWORDS,
    USERNAMES,
    RequestRecord,
    Upstream,
)
from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.faults import Faults, event_items
from tui_inventory.simulator.provider import EventFaults, Provider

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


class SimulatorError(InventoryError):
    """The simulator could not start (port in use, address not available, ...)."""

    title = "Simulator"


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

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown without its fixed 0.1 s sleep and 0.1 s polls: the open connections
        are told to close and awaited (as long as uvicorn would), polled every 5 ms. A test
        suite stops hundreds of simulators; each stop took 0.1-0.3 s of that waiting."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 0)
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit:
            if loop.time() > deadline:
                for task in state.tasks:
                    task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
                break
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def request_exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(wake.set)


class Simulator:
    """The TMF638/TMF639 upstream, both dialects, on a real loopback port.

    `faults` is a SPEC string (`KIND:FAULT@PAGE[xTIMES],...`); `duplicates` and `null_keys` are how
    many such entries each collection's listing carries. With `auto_tick`, each periodic update
    (an `updatedDaysAgo` request for the first page of services) advances the simulated clock, as
    the foreground `tui-inventory simulate` does.
    """

    def __init__(
        self,
        services: int = 200,
        carriers: int = 50,
        resources: int = 500,
        seed: int = 1,
        latency_ms: int = 0,
        faults: str | None = None,
        changes_per_poll: int = 0,
        duplicates: int = 0,
        null_keys: int = 0,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        auto_tick: bool = False,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        change_rate: float = 0.0,
    ) -> None:
        if change_rate < 0:
            raise ValueError("change_rate cannot be negative")
        if latency_ms < 0:
            raise ValueError("latency_ms cannot be negative")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {port}")
        self.dataset = Dataset(
            services=services,
            carriers=carriers,
            resources=resources,
            seed=seed,
            changes_per_poll=changes_per_poll,
            duplicates=duplicates,
            null_keys=null_keys,
        )
        self.faults = Faults(faults)
        self._upstream = Upstream(
            self.dataset, self.faults, latency_ms=latency_ms, cache_bytes=cache_bytes
        )
        self._upstream.auto_tick = auto_tick
        # The event provider (SPEC §10): hubs, one entity by key, events for the changes it makes.
        self.events = Provider(
            self.dataset,
            self._upstream._authorized,
            EventFaults.parse(event_items(faults)),
            seed,
        )
        self._upstream.extra_routes = self.events.routes()
        self.change_rate = change_rate
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._socket: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # -- state shared with the request handlers ---------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request served so far, in order (the live list: `.clear()` it between phases)."""
        return self._upstream.requests

    @property
    def latency_ms(self) -> int:
        return self._upstream.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: int) -> None:
        self._upstream.latency_ms = value

    @property
    def auto_tick(self) -> bool:
        return self._upstream.auto_tick

    @auto_tick.setter
    def auto_tick(self, value: bool) -> None:
        self._upstream.auto_tick = value

    @property
    def usernames(self) -> dict[str, str]:
        return dict(USERNAMES)

    @property
    def passwords(self) -> dict[str, str]:
        return dict(PASSWORDS)

    def password_env(self) -> dict[str, str]:
        """Environment variables that hand the demo passwords to the product."""
        return {f"TUI_INVENTORY_{api.upper()}_PASSWORD": pw for api, pw in PASSWORDS.items()}

    # -- addresses ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            if self._requested_port:  # a fixed port: the address of a simulator run elsewhere
                return self._requested_port
            raise RuntimeError("the simulator has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def api_url(self, api: str, dialect: str = "ses", version: int = 4) -> str:
        if dialect == "ses":
            return f"{self.base_url}/ses/{api}"
        if dialect == "tmf630" and version in (4, 5):
            return f"{self.base_url}/tmf630/v{version}/{api}"
        raise ValueError(
            f"unknown dialect {dialect!r} (version {version}); expected ses or tmf630 v4/v5"
        )

    def settings(self, dialect: str = "ses", version: int = 4) -> dict[str, Any]:
        """Config values (dotted keys) that point the product at this simulator."""
        return {
            "tmf638.url": self.api_url("tmf638", dialect, version),
            "tmf638.username": USERNAMES["tmf638"],
            "tmf639.url": self.api_url("tmf639", dialect, version),
            "tmf639.username": USERNAMES["tmf639"],
            "sync.dialect": dialect,
            "tmf638.services_path": "/" + COLLECTIONS["services"][1],
            "tmf638.carriers_path": "/" + COLLECTIONS["carriers"][1],
            "tmf639.resources_path": "/" + COLLECTIONS["resources"][1],
        }

    def warm(self, dialect: str = "ses", version: int = 4, records_per_page: int = 50) -> int:
        """Render every page of the full listings into the page cache (as far as its budget
        allows), so a benchmark's passes all meet the same warm server; returns the pages rendered.
        """
        return self._upstream.warm(
            dialect, version if dialect == "tmf630" else None, records_per_page
        )

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind, serve in a background thread, and return once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        sock = self._bind()
        config = uvicorn.Config(
            self._upstream.app(),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
        )
        self._server = server = _Server(config)
        self._socket, self._port, self._failure = sock, sock.getsockname()[1], None
        self._thread = threading.Thread(
            target=self._run, name=f"simulator:{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                failure = self._failure
                self.stop()
                raise SimulatorError(f"the simulator did not start: {failure or 'timed out'}")
            time.sleep(0.002)
        self.events.start()
        if self.change_rate > 0:
            self.events.start_changes(self.change_rate)
        return self

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
        # and accepted sockets inherit it; without it every keep-alive response waits ~40 ms.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError as exc:
            sock.close()
            where = f"{self.host}:{self._requested_port}"
            if exc.errno == errno.EADDRINUSE:
                raise SimulatorError(
                    f"port {self._requested_port} on {self.host} is already in use"
                ) from None
            raise SimulatorError(f"cannot listen on {where}: {exc.strerror or exc}") from None
        return sock

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(); a thread must not die noisily
            self._failure = exc

    def stop(self) -> None:
        """Stop serving and join the thread; safe to call twice."""
        server, thread, sock = self._server, self._thread, self._socket
        self.events.stop()
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

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
