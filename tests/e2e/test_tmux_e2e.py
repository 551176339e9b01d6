"""End to end in a real terminal: `tui-inventory demo` inside tmux at 80×24, `b`, counts rising.

The console runs as the installed command (or `python -m tui_inventory` when the package is not
installed into the venv) on a private tmux server; what the operator would see is read with
`capture-pane`. Skipped when tmux is missing (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_fixtures import ROOT, console_command
from waiting import wait_for

STORED = re.compile(r"(\d+) stored")
SESSION = "e2e"


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", SESSION)

    def wait_for(self, condition: Callable[[str], object], timeout: float, what: str) -> str:
        def shown() -> str | None:
            text = self.screen()
            return text if condition(text) else None

        def seen() -> str:
            return f"the screen shows:\n{self.screen()}"

        return str(wait_for(shown, timeout, what, interval=0.1, seen=seen))


@pytest.fixture
def tmux(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Tmux]:
    """The demo in a tmux of 80×24, or of the (columns, rows) given as the fixture's param."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install -y tmux; .ci/run installs it)")
    home = tmp_path / "home"
    home.mkdir()
    columns, rows = getattr(request, "param", (80, 24))
    env = {
        # (the size is read from these first: a COLUMNS inherited from the test run would win)
        "COLUMNS": str(columns),
        "LINES": str(rows),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        *console_command(),
        "demo",
        "--latency-ms",
        "150",
        "--services",
        "600",
        "--carriers",
        "150",
        "--resources",
        "3000",
        "--change-rate",  # no upstream changes by event: the counts below only rise
        "0",
    ]
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    shell = f"env {exports} {shlex.join(command)}; echo EXITED $?; sleep 30"
    server = Tmux(tmp_path / "tmux.sock")
    server("new-session", "-d", "-x", str(columns), "-y", str(rows), "-s", SESSION, shell)
    try:
        yield server
    finally:
        subprocess.run(
            ["tmux", "-S", str(server.socket), "kill-server"], capture_output=True, timeout=10
        )


def no_sync_running(text: str) -> bool:
    """The header says no sync runs: "Idle", or, in a console that listens for events (the
    demo does), "Listening for events"."""
    return ("Idle" in text or "Listening for events" in text) and " running" not in text


def stored_counts(text: str) -> list[int]:
    return [int(n) for n in STORED.findall(text)]


def test_demo_in_tmux_shows_the_counts_rising_after_b(tmux: Tmux) -> None:
    tmux.wait_for(lambda t: "Dashboard" in t and "Sync log" in t, 30, "the dashboard")
    tmux("send-keys", "-t", SESSION, "b")
    seen: list[list[int]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = tmux.screen()
        assert "Traceback" not in text, text
        counts = stored_counts(text)
        if len(counts) == 3 and (not seen or counts != seen[-1]):
            seen.append(counts)
        if counts[:2] == [600, 150] and no_sync_running(text):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the buildup did not finish; counts seen: {seen}")
    totals = [sum(c) for c in seen]
    assert totals == sorted(totals), seen  # never going down
    assert len(set(totals)) >= 3, seen  # rising while the buildup runs, not jumping to the end
    assert seen[-1][2] > 2000  # resources, without the excluded types

    # A second `b` now runs a buildup of its own: its counters rise on the dashboard.
    tmux("send-keys", "-t", SESSION, "b")
    tmux.wait_for(lambda t: "Buildup running" in t, 15, "the second buildup")
    tmux.wait_for(no_sync_running, 60, "its end")
    tmux("send-keys", "-t", SESSION, "q")
    text = tmux.wait_for(lambda t: "EXITED" in t, 15, "the console to quit")
    assert "EXITED 0" in text


def test_console_command_is_runnable() -> None:
    done = subprocess.run(
        [*console_command(), "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0 and "demo" in done.stdout
