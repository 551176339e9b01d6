"""systemd's notification protocol (sd_notify(3)): READY=1, STATUS=, WATCHDOG=1, STOPPING=1.

A datagram to the socket named by `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace);
without that variable (not under systemd) every call does nothing. The few lines are written here:
the maintained bindings need libsystemd's headers to build, the pure-Python ones are unmaintained.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading

from tui_inventory.text import plain

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = None
        if address.startswith("@"):
            self.address = "\0" + address[1:]
        elif address.startswith("/"):
            self.address = address
        self.watchdog_interval = _watchdog_interval(env)
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._failed = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *assignments: str) -> None:
        if self.address is None:
            return
        message = "\n".join(assignments).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.sendto(message, self.address)
            except OSError as exc:
                if not self._failed:  # said once: a missing manager must not flood the log
                    self._failed = True
                    log.warning("cannot notify systemd at NOTIFY_SOCKET: %s", exc)

    def ready(self, status: str) -> None:
        self.notify("READY=1", f"STATUS={_one_line(status)}")

    def status(self, text: str) -> None:
        self.notify(f"STATUS={_one_line(text)}")

    def stopping(self, status: str) -> None:
        self.notify("STOPPING=1", f"STATUS={_one_line(status)}")

    def start_watchdog(self, stop: threading.Event) -> threading.Thread | None:
        """WATCHDOG=1 at half the interval systemd asked for, until `stop` is set."""
        interval = self.watchdog_interval
        if interval is None or not self.enabled:
            return None

        def feed() -> None:
            while True:
                self.notify("WATCHDOG=1")
                if stop.wait(interval / 2):
                    return

        thread = threading.Thread(target=feed, name="systemd-watchdog", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.close()
                self._sock = None


def _watchdog_interval(env: os._Environ[str] | dict[str, str]) -> float | None:
    """`WATCHDOG_USEC` in seconds, when it is meant for this process (`WATCHDOG_PID`)."""
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1_000_000


def _one_line(text: str) -> str:
    """One line without control characters: upstream text may be part of a status."""
    return " ".join(plain(text).split())[:200]
