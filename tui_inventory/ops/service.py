"""The daemon as a service: its monitoring endpoints and what it tells systemd, for as long as it
runs (a context manager around `Daemon.run`)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tui_inventory.config import Config, parse_listen
from tui_inventory.ops.metrics import METRICS, Metrics
from tui_inventory.ops.server import MonitoringServer, make_app
from tui_inventory.ops.systemd import Notifier

if TYPE_CHECKING:
    from tui_inventory.daemon import JsonReporter
    from tui_inventory.store.repo import Store


class Service:
    """Started once the store is open: the endpoints listen (when `listen` or `ops.listen` names
    an address), systemd hears READY=1, the watchdog is fed, STATUS= follows the daemon's log."""

    def __init__(
        self,
        store: Store,
        config: Config,
        reporter: JsonReporter,
        *,
        listen: str | None = None,
        metrics: Metrics = METRICS,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.reporter = reporter
        self.metrics = metrics
        self.notifier = notifier or Notifier()
        self.listen = listen or config.ops.listen
        if listen:  # the command line's address is checked as the setting's is
            parse_listen(listen, "--serve")
        self.server: MonitoringServer | None = None
        self._stop = threading.Event()
        self._mode = ""
        self._last = ""  # how the last run ended

    def __enter__(self) -> Service:
        if self.listen:
            host, port = parse_listen(self.listen)
            self.metrics.watch(self.store)
            app = make_app(self.metrics, self.store, float(self.config.sync.update_frequency))
            self.server = MonitoringServer(host, port, app).start()
            self.reporter.emit(
                "info",
                "monitoring",
                address=self.server.address,
                paths=["/metrics", "/livez", "/readyz"],
            )
        self.reporter.on_emit = self.on_emit
        self.notifier.ready("store open; starting")
        self.notifier.start_watchdog(self._stop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.notifier.stopping("stopped")
        self._stop.set()
        self.reporter.on_emit = None
        if self.server is not None:
            self.server.stop()
        self.notifier.close()

    def on_emit(self, event: str, fields: dict[str, Any]) -> None:
        status = self.status_line(event, fields)
        if status:
            self.notifier.status(status)

    def status_line(self, event: str, f: dict[str, Any]) -> str | None:
        """What the daemon is doing, in one line, after the log line `event`."""
        if event == "run_started":
            self._mode = str(f.get("mode", ""))
            return f"{self._mode} running"
        if event == "page_stored":
            counters = f.get("counters") or {}
            total = f"/{f['total']}" if f.get("total") is not None else ""
            return (
                f"{self._mode} running: {f.get('kind')} page {f.get('page')}, "
                f"{counters.get('received', 0)}{total} received"
            )
        if event == "run_finished":
            self._last = f"{f.get('mode')} {f.get('state')}"
            return self._last
        if event == "waiting":
            at = str(f.get("next_run_at", ""))[:16].replace("T", " ")
            return f"{self._last + '; ' if self._last else ''}next run at {at} UTC"
        if event == "lease_held":
            return f"standby: {f.get('message')}"
        if event == "run_failed":
            return f"run failed: {f.get('message')}"
        if event == "database_unavailable":
            return f"database unavailable, retrying in {f.get('retry_in')} s"
        if event == "stopping":
            return "stopping"
        return None
