"""`sync --once` against an upstream it cannot trust or reach through a dead proxy: stderr says
why, each cause once per API however many inventories it stopped (the CLI as a subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from hostile import SimUpstream, self_signed, serve, settings_for

from tui_inventory.simulator.app import PASSWORDS

pytest.importorskip("cryptography", reason="the TLS test makes its certificate with cryptography")


def sync_once(
    tmp_path: Path, settings: dict[str, Any], **env: str
) -> subprocess.CompletedProcess[str]:
    data: dict[str, dict[str, Any]] = {}
    for name, value in settings.items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    cfg = tmp_path / "c.toml"
    cfg.write_text(tomli_w.dumps(data))
    environ = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    environ.update(
        TUI_INVENTORY_TMF638_PASSWORD=PASSWORDS["tmf638"],
        TUI_INVENTORY_TMF639_PASSWORD=PASSWORDS["tmf639"],
        XDG_STATE_HOME=str(tmp_path / "state"),
        **env,
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tui_inventory",
            "--config",
            str(cfg),
            "--db",
            str(tmp_path / "inv.db"),
            "sync",
            "--once",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def causes(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert all(line.startswith("tui-inventory: ") for line in lines), done.stderr
    return sorted(line.removeprefix("tui-inventory: ") for line in lines)


def test_an_untrusted_certificate_is_said_once_per_api(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "upstream")
    with serve(
        SimUpstream(services=20, carriers=20, resources=20).app(), certfile=cert, keyfile=key
    ) as url:
        port = httpx.URL(url).port
        done = sync_once(tmp_path, settings_for(url))
    why = "the server's certificate is not trusted (set http.ca_bundle to its CA file)"
    assert causes(done) == [
        f"TLS verification failed for TMF638 at 127.0.0.1:{port}: {why} (services, carriers)",
        f"TLS verification failed for TMF639 at 127.0.0.1:{port}: {why}",
    ]


def test_a_dead_proxy_is_said_once_per_api(sim: Any, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    proxy = f"http://127.0.0.1:{dead}"
    done = sync_once(tmp_path, sim.settings("ses"), HTTP_PROXY=proxy, http_proxy=proxy)
    found = causes(done)
    assert len(found) == 2, found
    assert found[0].startswith(
        f"cannot reach TMF638 at 127.0.0.1:{sim.port} through the proxy 127.0.0.1:{dead}"
    )
    assert found[0].endswith("(services, carriers)")
    assert found[1].startswith(f"cannot reach TMF639 at 127.0.0.1:{sim.port} through the proxy")
