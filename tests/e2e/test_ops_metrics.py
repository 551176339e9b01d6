"""The daemon's monitoring endpoints (SPEC §12): a real `tui-inventory sync --serve` process, a
buildup against the simulator, `/metrics` read with prometheus-client's own parser."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from daemon_fixtures import DaemonProcess
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tui_inventory import KINDS, __version__
from tui_inventory.config import Config
from tui_inventory.errors import ConfigError
from tui_inventory.ops.health import readiness
from tui_inventory.ops.metrics import Metrics
from tui_inventory.store.lease import SyncLease
from tui_inventory.store.repo import Store, now_iso

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(address: str) -> Samples:
    response = httpx.get(f"http://{address}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(f"tui_inventory_{name}", tuple(sorted(labels.items())))]


def get(address: str, path: str) -> httpx.Response:
    return httpx.get(f"http://{address}{path}", timeout=10)


def start_serving(sim: Any, db: str, home: Path, **kw: Any) -> tuple[DaemonProcess, str]:
    daemon = DaemonProcess(sim, db, home, lease_ttl=2, args=("--serve", "127.0.0.1:0"), **kw)
    try:
        address = daemon.wait_for_event("monitoring", timeout=30)["address"]
    except AssertionError:
        daemon.kill()
        raise AssertionError(f"the daemon did not serve: {daemon.stderr}") from None
    return daemon, address


def test_metrics_and_health_follow_a_daemon_buildup(
    make_sim: Any, tmp_path: Path, store_url: str
) -> None:
    db = store_url  # a SQLite file, or a PostgreSQL database
    sim = make_sim(latency_ms=300)  # slow until the buildup has been seen running
    with Store(db) as store:
        # Another sync holds the lease: the daemon stands by, nothing has synced yet.
        lease = SyncLease(store, ttl=60)
        lease.acquire()
        daemon, address = start_serving(sim, db, tmp_path / "home")
        try:
            daemon.wait_for_event("lease_held")
            assert get(address, "/livez").status_code == 200

            before = get(address, "/readyz")
            assert before.status_code == 503
            lines = before.text.splitlines()
            assert lines == [f"{kind}: failing: no successful sync yet" for kind in KINDS]
            verbose = get(address, "/readyz?verbose").text.splitlines()
            assert verbose[0] == "store: ok: the store answers"
            assert verbose[1:] == lines

            idle = scrape(address)
            for kind in KINDS:
                assert value(idle, "instances", inventory=kind) == 0
                assert value(idle, "changes_total", inventory=kind, change="created") == 0
                assert (
                    "tui_inventory_last_success_timestamp_seconds",
                    (("inventory", kind),),
                ) not in idle
            assert value(idle, "sync_runs_total", mode="buildup", outcome="succeeded") == 0
            assert value(idle, "lease_held") == 0
            assert value(idle, "build_info", version=__version__) == 1

            started = time.time()
            lease.release()  # the daemon takes over and builds up
            daemon.wait_for_event("page_stored", timeout=60)
            during = get(address, "/readyz?verbose")
            assert during.status_code == 200  # nothing synced yet, but a buildup is running
            assert "resources: ok: a buildup is running" in during.text.splitlines()
            sim.latency_ms = 0
            finished = daemon.wait_for_event("run_finished", timeout=120)
            assert finished["state"] == "succeeded", daemon.lines
            daemon.wait_for_event("waiting")

            after = scrape(address)
            counts = store.counts()
            created = {e["kind"]: e["counters"]["created"] for e in daemon.named("type_finished")}
            for kind in KINDS:
                assert counts[kind] > 0
                assert value(after, "instances", inventory=kind) == counts[kind]
                assert (
                    value(after, "changes_total", inventory=kind, change="created") == created[kind]
                )
                assert value(after, "changes_total", inventory=kind, change="removed") == 0
                assert value(after, "pages_total", inventory=kind, outcome="stored") > 0
                assert value(after, "cleanup_held", inventory=kind) == 0
                at = value(after, "last_success_timestamp_seconds", inventory=kind)
                assert started - 1 <= at <= time.time() + 1
            assert created["services"] == counts["services"]  # a first buildup creates all
            assert value(after, "sync_runs_total", mode="buildup", outcome="succeeded") == 1
            assert value(after, "sync_runs_total", mode="update", outcome="succeeded") == 0
            assert value(after, "sync_run_duration_seconds_count", mode="buildup") == 1
            assert value(after, "http_requests_total", api="tmf638", code="200") > 0
            assert value(after, "http_requests_total", api="tmf639", code="200") > 0
            assert value(after, "lease_held") == 0  # released between runs

            ready = get(address, "/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.text == "ok\n"
            assert "services: ok: last successful sync" in get(address, "/readyz?verbose").text
            assert get(address, "/nothing").status_code == 404
            assert daemon.stop() == 0
        finally:
            daemon.kill()
            lease.release()


def test_readyz_fails_when_the_last_success_is_too_old(sim: Any, tmp_path: Path) -> None:
    """An inventory not synced for more than twice the update frequency makes the daemon unready,
    with its own line; the store's counts are still served."""
    db = str(tmp_path / "inventory.db")
    with Store(db) as store:
        run = store.start_run("buildup", "elsewhere", 1)
        for kind in KINDS:
            store.start_type_run(run, kind, "buildup")
            finished = "2020-01-01T00:00:00.000000Z" if kind == "resources" else _now()
            store.m.type_run.update(state="succeeded", finished_at=finished).where(
                store.m.type_run.kind == kind
            ).execute()
        store.finish_run(run, "succeeded")
        lease = SyncLease(store, ttl=60)
        lease.acquire()  # the daemon stands by and does not sync
        daemon, address = start_serving(sim, db, tmp_path / "home")
        try:
            daemon.wait_for_event("lease_held")
            response = get(address, "/readyz")
            assert response.status_code == 503
            (line,) = response.text.splitlines()
            assert line.startswith("resources: failing: last successful sync ")
            assert line.endswith("ago, more than 2.0 h")
        finally:
            daemon.kill()
            lease.release()


def _now() -> str:
    return now_iso()


def test_the_store_gauges_and_readiness_on_both_backends(store: Store) -> None:
    """What a scrape and a probe read from the store: counts, freshness, held cleanups."""
    metrics = Metrics()
    metrics.watch(store)
    assert [c.line() for c in readiness(store, 3600)] == [
        "store: ok: the store answers",
        *(f"{kind}: failing: no successful sync yet" for kind in KINDS),
    ]
    run = store.start_run("update", "elsewhere", 1)
    for kind in KINDS:
        store.start_type_run(run, kind, "update")
        state = "failed" if kind == "carriers" else "held" if kind == "services" else "succeeded"
        store.m.type_run.update(state=state, finished_at=now_iso()).where(
            store.m.type_run.kind == kind
        ).execute()
    store.hold_cleanup("services", run, "update", 7, 10)
    store.finish_run(run, "partial")

    samples: Samples = {}
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert value(samples, "cleanup_held", inventory="services") == 7
    assert value(samples, "cleanup_held", inventory="resources") == 0
    assert value(samples, "instances", inventory="services") == 0
    # A held cleanup still synced every instance; a failed type did not.
    assert ("tui_inventory_last_success_timestamp_seconds", (("inventory", "carriers"),)) not in (
        samples
    )
    assert time.time() - value(samples, "last_success_timestamp_seconds", inventory="services") < 60
    lines = [c.line() for c in readiness(store, 3600)]
    assert lines[2] == "carriers: failing: no successful sync yet"
    assert lines[1].startswith("services: ok: last successful sync ")
    assert lines[3].startswith("resources: ok: last successful sync ")


def test_the_daemon_says_so_when_its_address_is_taken(sim: Any, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        daemon = DaemonProcess(
            sim,
            str(tmp_path / "inventory.db"),
            tmp_path / "home",
            args=("--serve", f"127.0.0.1:{port}"),
        )
        assert daemon.wait(60) == 1
    assert daemon.stderr.strip() == (
        f"tui-inventory: cannot serve the monitoring endpoints on 127.0.0.1:{port}: "
        "Address already in use"
    )


def test_the_daemon_refuses_an_address_it_cannot_serve_in_one_sentence(
    sim: Any, tmp_path: Path
) -> None:
    daemon = DaemonProcess(
        sim, str(tmp_path / "inventory.db"), tmp_path / "home", args=("--serve", "nowhere")
    )
    assert daemon.wait(60) == 1
    assert daemon.stderr.strip() == (
        "tui-inventory: --serve must be HOST:PORT (e.g. 127.0.0.1:9464 or [::1]:9464), "
        "not 'nowhere'"
    )


@pytest.mark.parametrize("text", ["9464", "host:", "host:99999", ":9464", "[::1]"])
def test_ops_listen_is_validated(text: str) -> None:
    with pytest.raises(ConfigError, match=r"ops\.listen must be HOST:PORT"):
        Config().set("ops.listen", text)


def test_ops_listen_accepts_an_address_and_can_be_cleared() -> None:
    cfg = Config()
    cfg.set("ops.listen", "[::1]:9464")
    assert cfg.get("ops.listen") == "[::1]:9464"
    assert cfg.to_dict()["ops"] == {"listen": "[::1]:9464"}
    cfg.set("ops.listen", "")
    assert cfg.get("ops.listen") is None


def test_an_updates_removals_and_a_gap_are_counted(
    make_sim: Any, store: Store, make_engine: Any
) -> None:
    """The counters an engine's events feed, through a real buildup and update: removals come
    with the cleanup at the end of a type, failed pages with a gap; requests by status code."""
    sim = make_sim(faults="resources:504@2x9")  # page 2 of resources fails every retry
    metrics = Metrics()
    engine = make_engine(sim, store, **{"sync.records_per_page": 20})
    engine.on_event = metrics
    engine.client_factory = metrics.client_factory()
    engine.run("buildup")
    non_operational = store.count_non_operational()
    assert non_operational > 0
    engine.run("update")

    samples: Samples = {}
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert value(samples, "changes_total", inventory="services", change="removed") == (
        non_operational
    )
    assert value(samples, "pages_total", inventory="resources", outcome="failed") == 1
    assert value(samples, "http_requests_total", api="tmf639", code="504") >= 1
    assert value(samples, "sync_runs_total", mode="buildup", outcome="partial") == 1
    assert value(samples, "sync_run_duration_seconds_count", mode="update") == 1
