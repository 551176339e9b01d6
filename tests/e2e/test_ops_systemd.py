"""systemd's notify protocol against a real notify socket: the test binds the datagram socket,
names it in `NOTIFY_SOCKET` and reads what the daemon (a real process) tells systemd."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_fixtures import DaemonProcess

from tui_inventory.ops.systemd import Notifier


class NotifySocket:
    """What systemd would bind: a datagram socket; `messages` are the datagrams received."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.address = address
        self.messages: list[tuple[float, list[str]]] = []

    def receive_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; got {self.assignments}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.messages.append((time.monotonic(), data.decode().split("\n")))

    @property
    def assignments(self) -> list[str]:
        return [a for _, lines in self.messages for a in lines]

    def count(self, assignment: str) -> int:
        return self.assignments.count(assignment)

    def statuses(self) -> list[str]:
        return [a.removeprefix("STATUS=") for a in self.assignments if a.startswith("STATUS=")]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NotifySocket]:
    if request.param == "path":
        address = str(tmp_path / "notify")
    else:
        address = f"@tui-inventory-test-{uuid.uuid4().hex}"
    sock = NotifySocket(address)
    yield sock
    sock.close()


def test_the_daemon_notifies_systemd(sim: Any, tmp_path: Path, notify_socket: NotifySocket) -> None:
    db = tmp_path / "inventory.db"
    env = {"NOTIFY_SOCKET": notify_socket.address, "WATCHDOG_USEC": "200000"}  # 0.2 s
    daemon = DaemonProcess(sim, str(db), tmp_path / "home", env=env)
    try:
        notify_socket.receive_until(lambda: notify_socket.count("READY=1") > 0, 30, "READY=1")
        assert db.is_file()  # READY=1 once the store is open
        first = notify_socket.messages[0][1]
        assert first[0] == "READY=1"

        def fed_and_done() -> bool:
            statuses = notify_socket.statuses()
            return notify_socket.count("WATCHDOG=1") >= 5 and any(
                s.startswith("buildup succeeded; next run at ") for s in statuses
            )

        notify_socket.receive_until(fed_and_done, 120, "the watchdog fed and the buildup done")
        statuses = notify_socket.statuses()
        assert "buildup running" in statuses
        assert any(s.startswith("buildup running: services page ") for s in statuses), statuses
        assert all("\n" not in s and len(s) <= 200 for s in statuses)

        # The watchdog goes on being fed while the daemon waits for its next run.
        fed = notify_socket.count("WATCHDOG=1")
        notify_socket.receive_until(
            lambda: notify_socket.count("WATCHDOG=1") >= fed + 3, 10, "more WATCHDOG=1"
        )

        assert daemon.stop() == 0
        notify_socket.receive_until(lambda: notify_socket.count("STOPPING=1") > 0, 10, "STOPPING=1")
    finally:
        daemon.kill()


def test_without_notify_socket_nothing_is_sent_and_nothing_fails() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    notifier.ready("store open")  # no socket: a no-op
    assert notifier.start_watchdog(threading.Event()) is None


def test_a_watchdog_meant_for_another_process_is_not_fed(tmp_path: Path) -> None:
    sock = NotifySocket(str(tmp_path / "notify"))
    try:
        env = {
            "NOTIFY_SOCKET": sock.address,
            "WATCHDOG_USEC": "100000",
            "WATCHDOG_PID": str(os.getpid() + 1),
        }
        notifier = Notifier(env)
        assert notifier.watchdog_interval is None
        env["WATCHDOG_PID"] = str(os.getpid())
        assert Notifier(env).watchdog_interval == 0.1
    finally:
        sock.close()


def test_a_status_carries_no_control_characters(tmp_path: Path) -> None:
    sock = NotifySocket(str(tmp_path / "notify"))
    try:
        notifier = Notifier({"NOTIFY_SOCKET": sock.address})
        notifier.status("run failed: \x1b[31mred\x1b[0m\nREADY=1")
        sock.receive_until(lambda: bool(sock.messages), 5, "the status")
        (lines,) = [m[1] for m in sock.messages]
        assert len(lines) == 1
        assert lines[0].startswith("STATUS=run failed: ")
        assert "\x1b" not in lines[0]
        notifier.close()
    finally:
        sock.close()
