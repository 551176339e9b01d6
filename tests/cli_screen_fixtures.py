"""What the CLI shows, read back: each inventory's result line, and a run under a pseudo-terminal
(stdout a terminal, as when typed by hand). Plain helpers: `from cli_screen_fixtures import ...`."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
from typing import Any

from cli_fixtures import CLI

RESULT = re.compile(
    r"^(services|carriers|resources): (succeeded|failed|held|partial|cancelled)( \(.*\))? — "
    r"received (\d+), created (\d+), updated (\d+), unchanged (\d+), skipped (\d+), "
    r"removed (\d+), failed (\d+)$",
    re.MULTILINE,
)


def results(stdout: str) -> dict[str, dict[str, Any]]:
    """The last result line of each inventory, as state and counters."""
    out: dict[str, dict[str, Any]] = {}
    for m in RESULT.finditer(stdout):
        names = ("received", "created", "updated", "unchanged", "skipped", "removed", "failed")
        out[m.group(1)] = {
            "state": m.group(2),
            **dict(zip(names, map(int, m.groups()[3:]), strict=True)),
        }
    return out


def run_in_pty(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, bytes]:
    """Run the CLI with stdout on a pseudo-terminal (as typed by hand); its output and status."""
    master, slave = pty.openpty()
    with subprocess.Popen(
        [*CLI, *args], env=env, stdout=slave, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    ) as proc:
        os.close(slave)
        chunks: list[bytes] = []
        try:
            while True:
                ready, _, _ = select.select([master], [], [], timeout)
                if not ready:
                    proc.kill()
                    raise AssertionError(f"no output for {timeout} s: {b''.join(chunks)[-2000:]!r}")
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
        finally:
            os.close(master)
        return proc.wait(timeout=timeout), b"".join(chunks)
