"""Data with escape sequences never reaches the terminal raw ([hardening] issue), checked on a real
pty: the installed `tui-inventory` runs on a pseudo-terminal against a SQLite store whose instance
and log line carry an OSC title sequence, a clear-screen sequence, a C1 CSI, BEL and markup; the
test presses tab (the services table) and enter (the instance) and reads every byte the console
writes. None of the data's control sequences is among them, while their visible stand-ins (␛, ␇,
<9B>) and the markup as literal text are — so the test cannot pass by showing nothing.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_fixtures import ROOT, console_command

from tui_inventory.store.repo import Store
from tui_inventory.text import plain
from tui_inventory.tmf.mapping import Mapped

COLUMNS, ROWS = 160, 48
KEY = "SVC-HOSTILE-1"
HOSTILE = "A\x1b]0;title\x07B\x1b[2JC\x9b31mD[@click=app.quit]E[b]F[/b]"
SHOWN = plain(HOSTILE)  # what the operator must see instead: A␛]0;title␇B␛[2JC<9B>31mD[@click…
LOG_LINE = "carriers: page 3 \x1b]0;pwned\x07 \x1b[31mred\x9b0m [bold]x[/bold]"
# What the terminal takes as escape sequences: CSI (7- and 8-bit), OSC to BEL or ST, the rest.
SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b.",
    re.DOTALL,
)


def hostile_store(path: Path) -> None:
    """A store with one hostile service (name, status, fields, characteristics) and log line."""
    fields = {
        "ID": KEY,
        "Name": HOSTILE,
        "Description": f"desc {HOSTILE}",
        "Status": "Operational",
        "Type": "CFS",
        "Service Characteristics": {"evil\x1b]0;title\x07": HOSTILE},
    }
    item = Mapped(KEY, HOSTILE, "Operational", "CFS", f"site {HOSTILE}", fields)
    with Store(str(path)) as store:
        with store.transaction():
            store.store_page("services", None, [item])
        store.log(None, "error", "carriers", LOG_LINE)


class Terminal:
    """A child process on a pty of COLUMNS × ROWS; `raw` is every byte it wrote."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.raw = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            with self._lock:
                self.raw.extend(chunk)

    def output(self) -> bytes:
        with self._lock:
            return bytes(self.raw)

    def text(self) -> str:
        """What was written, without the terminal's escape sequences (the visible text)."""
        return SEQUENCE.sub("", self.output().decode("utf-8", errors="replace"))

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, condition: Callable[[str], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.text()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.text()[-2000:]
                pytest.fail(f"timed out waiting for {what}; the console wrote (end):\n{tail}")
            time.sleep(0.05)

    def close(self) -> int:
        try:
            return self.process.wait(20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(5)
            self._reader.join(5)
            os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[[list[str]], Terminal]]:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": str(ROOT),
    }
    started: list[Terminal] = []

    def start(args: list[str]) -> Terminal:
        term = Terminal([*console_command(), *args], env)
        started.append(term)
        return term

    yield start
    for term in started:
        if term.process.poll() is None:
            term.process.kill()
            term.close()


def test_escape_sequences_in_the_data_never_reach_a_real_terminal(
    terminal: Callable[[list[str]], Terminal], tmp_path: Path
) -> None:
    db = tmp_path / "inventory.db"
    hostile_store(db)
    config = tmp_path / "config.toml"
    config.write_text("")
    term = terminal(["--config", str(config), "--db", str(db), "--readonly"])

    term.wait_for(lambda t: "Sync log" in t and "carriers: page 3" in t, 30, "the dashboard")
    term.send("\t")  # the services table, its one row
    term.wait_for(lambda t: KEY in t, 15, "the hostile row in the table")
    term.send("\r")  # the instance: title, fields, characteristics, history
    term.wait_for(lambda t: "History (1" in t, 15, "the instance view")
    time.sleep(0.5)  # whatever the last frames still write
    term.send("q")
    assert term.close() == 0
    raw = term.output()

    # None of the data's own sequences reached the terminal…
    text = raw.decode("utf-8")  # strict: every byte is well-formed UTF-8, no stray 8-bit byte
    for sequence in ("\x1b]0;title", "\x1b]0;pwned", "B\x1b[2JC", "\x1b[31mred", "title\x07"):
        assert sequence not in text, repr(sequence)
    assert not re.search("[\x80-\x9f]", text), "a C1 control character reached the terminal"
    visible = SEQUENCE.sub("", text)
    leftover = set(re.findall(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]", visible))
    assert leftover == set(), f"control characters outside escape sequences: {leftover}"
    # …while their visible stand-ins did, in the log, the table row and the instance's title,
    # name, description, site and characteristic (the test saw the data: it cannot pass empty).
    assert "carriers: page 3 ␛]0;pwned␇ ␛[31mred<9B>0m [bold]x[/bold]" in visible
    assert visible.count(SHOWN) >= 5, visible.count(SHOWN)
    assert "[@click=app.quit]E[b]F[/b]" in visible and "evil␛]0;title␇" in visible
    assert "Traceback" not in visible
