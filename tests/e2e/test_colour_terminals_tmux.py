"""The console stays readable on a 16-colour terminal and without colour, in a real terminal.

`tui-inventory demo` runs inside tmux at 80×24 with `TERM` and `NO_COLOR` set as an operator's
shell would; `capture-pane -e` gives the colours tmux was told to draw each cell in, and no
letter or digit may be drawn in its own background colour. (With `TERM=xterm` and `NO_COLOR=1`
together the ANSI theme went through Textual's monochrome filter, which reads ANSI colours as
black: every word was black on black.) Skipped when tmux is missing (`.ci/run` installs it).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_fixtures import ROOT, console_command
from waiting import wait_for

SESSION = "colours"
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
Colour = int | tuple[int, ...] | str  # a palette index, an RGB triple, or the terminal's default


def cells(captured: str) -> Iterator[tuple[str, Colour, Colour]]:
    """Each character of `capture-pane -e` output with its foreground and background colour
    (tmux carries the attributes from one line to the next, so the whole capture is one run)."""
    fg: Colour = "default foreground"
    bg: Colour = "default background"
    position = 0
    for match in SGR.finditer(captured + "\x1b[m"):
        for char in captured[position : match.start()]:
            yield char, fg, bg
        position = match.end()
        codes = [int(c) if c else 0 for c in re.split("[;:]", match.group(1))]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code == 0:
                fg, bg = "default foreground", "default background"
            elif 30 <= code <= 37 or 90 <= code <= 97:
                fg = code - 30 if code < 90 else code - 90 + 8  # = the 256-colour index
            elif code == 39:
                fg = "default foreground"
            elif 40 <= code <= 47 or 100 <= code <= 107:
                bg = code - 40 if code < 100 else code - 100 + 8
            elif code == 49:
                bg = "default background"
            elif code in (38, 48):  # 38;5;N (256 colours) or 38;2;R;G;B
                colour: Colour
                if codes[i + 1] == 5:
                    colour, i = codes[i + 2], i + 2
                else:
                    colour, i = tuple(codes[i + 2 : i + 5]), i + 4
                if code == 38:
                    fg = colour
                else:
                    bg = colour
            i += 1  # (bold, dim, reverse ... change no colour; reverse swaps an unequal pair)


def tmux(socket: Path, *args: str) -> str:
    done = subprocess.run(
        ["tmux", "-S", str(socket), *args], capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout


@pytest.fixture
def start_console(tmp_path: Path) -> Iterator[object]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install -y tmux; .ci/run installs it)")
    socket = tmp_path / "tmux.sock"
    home = tmp_path / "home"
    home.mkdir()

    def start(terminal: dict[str, str]) -> Path:
        env = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "PYTHONPATH": str(ROOT),
            **terminal,
        }
        command = [*console_command(), "demo", "--services", "20", "--carriers", "5"]
        command += ["--resources", "50"]
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # Only what the case sets decides the colours: not the test runner's own terminal.
        unset = "-u COLORTERM -u NO_COLOR -u TEXTUAL_COLOR_SYSTEM -u TEXTUAL_THEME"
        shell = f"env {unset} {exports} {shlex.join(command)}; echo EXITED $?; sleep 30"
        tmux(socket, "new-session", "-d", "-x", "80", "-y", "24", "-s", SESSION, shell)
        return socket

    yield start
    subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


@pytest.mark.parametrize(
    "terminal",
    [
        {"TERM": "xterm", "NO_COLOR": "1"},
        {"TERM": "xterm"},
        {"TERM": "xterm-256color", "NO_COLOR": "1"},
    ],
    ids=["16-colours-NO_COLOR", "16-colours", "256-colours-NO_COLOR"],
)
def test_the_dashboard_text_is_never_drawn_in_its_background_colour(
    start_console: Callable[[dict[str, str]], Path], terminal: dict[str, str]
) -> None:
    socket = start_console(terminal)

    def finished_buildup() -> str | None:
        text = tmux(socket, "capture-pane", "-p", "-t", SESSION)
        return text if "Sync log" in text and "20 stored" in text else None

    wait_for(
        finished_buildup,
        30,
        "the dashboard after the first buildup",
        interval=0.2,
        seen=lambda: tmux(socket, "capture-pane", "-p", "-t", SESSION),
    )
    captured = tmux(socket, "capture-pane", "-p", "-e", "-t", SESSION)
    text = [(char, fg, bg) for char, fg, bg in cells(captured) if char.isalnum()]
    assert len(text) > 500, captured  # the dashboard's words, not an empty screen
    unreadable = Counter((fg, bg) for _, fg, bg in text if fg == bg)
    shown = "".join(char for char, fg, bg in text if fg == bg)[:80]
    assert not unreadable, f"text in its own background colour {dict(unreadable)}: {shown!r}"
