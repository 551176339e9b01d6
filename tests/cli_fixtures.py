"""The command line as a real process: how to run `tui-inventory` (as a module or the installed
command), a settings file pointed at a simulator, and an environment that never reaches the
developer's own files or keyring. Plain helpers: import them with `from cli_fixtures import ...`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import tomli_w

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent  # the repository (for PYTHONPATH, benchmarks/ and docs/)
FIXTURES = TESTS / "fixtures"

CLI = [sys.executable, "-m", "tui_inventory"]


def write_config(path: Path, sim: Any, **extra: Any) -> Path:
    data: dict[str, dict[str, Any]] = {}
    settings = dict(sim.settings("ses"))
    settings.update(extra)
    for name, value in settings.items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    path.write_text(tomli_w.dumps(data))
    return path


def env_with_passwords(sim: Any | None, home: Path, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    if sim is not None:
        env["TUI_INVENTORY_TMF638_PASSWORD"] = sim.passwords["tmf638"]
        env["TUI_INVENTORY_TMF639_PASSWORD"] = sim.passwords["tmf639"]
    env.update(overrides)
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def console_command() -> list[str]:
    script = Path(sys.executable).with_name("tui-inventory")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "tui_inventory"]
