"""A real Prometheus server (Debian's `prometheus` package, installed by `.ci/run`) scrapes the
daemon's `/metrics`, and its query API returns what the daemon stored."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from daemon_fixtures import DaemonProcess, wait_for

from tui_inventory import KINDS
from tui_inventory.store.repo import Store

PROMETHEUS = shutil.which("prometheus")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def prometheus_binary() -> str:
    if PROMETHEUS is None:
        if os.environ.get("CI") == "true":
            pytest.fail("prometheus is not installed; .ci/run installs Debian's package")
        pytest.skip("prometheus is not installed (apt-get install prometheus; .ci/run does)")
    return PROMETHEUS


class Prometheus:
    """`prometheus` on a free loopback port, scraping `target` every second."""

    def __init__(self, binary: str, target: str, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        config = home / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: tui-inventory\n"
            "    static_configs:\n"
            f"      - targets: ['{target}']\n"
        )
        self.port = _free_port()
        self.log = (home / "prometheus.log").open("w")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.home = home

    def query(self, expr: str) -> list[dict[str, Any]]:
        if self.proc.poll() is not None:
            log = (self.home / "prometheus.log").read_text()[-2000:]
            raise AssertionError(f"prometheus exited ({self.proc.returncode}): {log}")
        try:
            response = httpx.get(
                f"http://127.0.0.1:{self.port}/api/v1/query", params={"query": expr}, timeout=5
            )
        except httpx.TransportError:
            return []  # not listening yet
        if response.status_code != 200:
            return []
        body = response.json()
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


@pytest.fixture
def start_prometheus(prometheus_binary: str, tmp_path: Path) -> Iterator[Any]:
    started: list[Prometheus] = []

    def start(target: str) -> Prometheus:
        server = Prometheus(prometheus_binary, target, tmp_path / "prometheus")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_prometheus_scrapes_the_daemon(sim: Any, tmp_path: Path, start_prometheus: Any) -> None:
    db = str(tmp_path / "inventory.db")
    daemon = DaemonProcess(sim, db, tmp_path / "home", args=("--serve", "127.0.0.1:0"))
    try:
        address = daemon.wait_for_event("monitoring", timeout=30)["address"]
        finished = daemon.wait_for_event("run_finished", timeout=120)
        assert finished["state"] == "succeeded"
        with Store(db) as store:
            counts = store.counts()
        prometheus = start_prometheus(address)

        def stored_counts() -> dict[str, float] | None:
            result = prometheus.query("tui_inventory_instances")
            seen = {r["metric"]["inventory"]: float(r["value"][1]) for r in result}
            return seen if seen == {k: counts[k] for k in KINDS} else None

        seen = wait_for(stored_counts, 90, "Prometheus to return tui_inventory_instances")
        assert seen is not None
        assert all(seen[kind] > 0 for kind in KINDS)
        (up,) = prometheus.query('up{job="tui-inventory"}')
        assert up["value"][1] == "1"
        assert daemon.stop() == 0
    finally:
        daemon.kill()
