"""The daemon with events on, as a real process: live events, a clean stop, a SIGKILL, secrets."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from daemon_fixtures import DaemonProcess, wait_for
from test_events_acceptance import inventory

from tui_inventory.store.repo import Store

TOKEN = "daemon-token-2c8e4f6a0b1d3e5f"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_INVENTORY_EVENTS_TOKEN", TOKEN)


def start(sim: Any, db: str, home: Path) -> DaemonProcess:
    settings: dict[str, Any] = {"events.enabled": True, "events.listen": "127.0.0.1:0"}
    daemon = DaemonProcess(sim, db, home, **settings)
    daemon.wait_for_event("events_live")
    wait_for(lambda: daemon.named("waiting"), 120, "the first run to end")
    return daemon


def test_events_arrive_while_the_daemon_waits_and_a_clean_stop_unregisters(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=60, carriers=20, resources=80)
    db = str(tmp_path / "inv.db")
    daemon = start(sim, db, tmp_path / "home")
    try:
        assert len(sim.events.hubs) == 2
        made = sim.events.change(20)
        assert sim.events.wait_sent(30)
        with Store(db) as store:
            run = next(r for r in store.runs(5) if r["mode"] == "event")
            wait_for(
                lambda: sum(r["received"] for r in store.type_runs(run["id"])) >= len(made),
                30,
                "the events to be applied",
            )
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.kill()
    assert sim.events.hubs == {}
    with Store(db) as store:
        assert next(r for r in store.runs(5) if r["mode"] == "event")["state"] == "succeeded"
    assert_no_secret_anywhere(tmp_path, db, daemon)


def test_a_sigkill_while_events_arrive_loses_nothing_the_next_update_cannot_repair(
    make_sim: Any, make_engine: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=200, carriers=40, resources=300)
    db = str(tmp_path / "inv.db")
    daemon = start(sim, db, tmp_path / "home")
    try:
        changer = sim.events.start_changes(100, total=400)
        wait_for(lambda: sim.events.log.sent >= 150, 30, "events to arrive")
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.wait()
        changer.join(30)
        sim.events.wait_sent(30)
    finally:
        daemon.kill()
    with Store(db) as store:
        assert make_engine(sim, store).run("update").ok  # takes the dead daemon's lease over
        reference = Store(str(tmp_path / "reference.db"))
        assert make_engine(sim, reference).run("buildup").ok
        got, want = inventory(store), inventory(reference, operational_services_only=True)
        reference.close()
    assert set(got) == set(want)
    assert [k for k in want if got[k] != want[k]] == []


def assert_no_secret_anywhere(root: Path, db: str, daemon: DaemonProcess) -> None:
    """No token or password in any file under `root` (logs, settings), the database's bytes or
    the daemon's output."""
    secrets = [TOKEN, "orbit-638-demo", "beam-639-demo"]
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            for secret in secrets:
                assert secret not in text, f"{secret[:6]}… in {path}"
    stored = b"".join(p.read_bytes() for p in Path(db).parent.glob(Path(db).name + "*"))
    for secret in secrets:
        assert secret.encode() not in stored  # the database's own bytes, WAL included
        assert secret not in "\n".join(daemon.lines) + daemon.stderr
    assert any(p.suffix == ".log" or ".log" in p.name for p in root.rglob("*")), "no log file"
