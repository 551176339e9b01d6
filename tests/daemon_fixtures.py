"""The sync daemon as a real process: `tui-inventory sync` started with a settings file that points
at a simulator, its JSON log lines collected as they come. Plain helpers: import them with
`from daemon_fixtures import ...`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cli_fixtures import CLI, env_with_passwords, write_config
from waiting import wait_for as wait_for  # importable from here too


class DaemonProcess:
    """`tui-inventory sync` (the daemon) in a subprocess; `events` are its parsed log lines."""

    def __init__(
        self,
        sim: Any,
        db_url: str,
        home: Path,
        *,
        lease_ttl: float = 60.0,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        **settings: Any,
    ) -> None:
        settings.setdefault("sync.records_per_page", 10)
        settings.setdefault("sync.page_concurrency", 2)
        home.mkdir(parents=True, exist_ok=True)
        config = write_config(home / "config.toml", sim, **settings)
        self.proc = subprocess.Popen(
            [
                *CLI,
                *("--config", str(config), "--db", db_url),
                *("sync", "--lease-ttl", str(lease_ttl), *args),
            ],
            env={**env_with_passwords(sim, home), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines)]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]

    def wait_for_event(self, name: str, timeout: float = 60) -> dict[str, Any]:
        found = wait_for(lambda: self.named(name), timeout, f"the daemon to log {name!r}")
        return found[0]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Send `sig` and wait for the exit; returns the exit status."""
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.wait()
