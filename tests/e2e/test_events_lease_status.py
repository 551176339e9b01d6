"""A daemon with events on holds the sync lease for its whole life (SPEC §10: only the holder
listens). Between its syncs, `status` must not say a sync is running (nor show the event run as
a run that never ends), and a `sync --once` refused meanwhile must say who holds the lease and
why, instead of "sync already running"."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from cli_fixtures import env_with_passwords, run, write_config
from test_events_daemon import TOKEN, start


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_INVENTORY_EVENTS_TOKEN", TOKEN)


def test_status_and_a_refused_sync_say_a_daemon_with_events_holds_the_lease(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=40, carriers=10, resources=40)
    db = str(tmp_path / "inv.db")
    daemon = start(sim, db, tmp_path / "home")  # live, and its first run ended: waiting
    try:
        env = env_with_passwords(sim, tmp_path)
        done = run(["--db", db, "status"], env)
        assert done.returncode == 0, done.stderr
        text = done.stdout
        assert "sync running on" not in text, text
        pid = daemon.proc.pid
        assert (
            f"no sync running; the sync lease is held by {socket.gethostname()} (pid {pid})" in text
        )
        assert "for its event listener" in text
        assert "event running" not in text and "event stream, live since" in text
        shown = json.loads(run(["--db", db, "status", "--json"], env).stdout)
        assert shown["sync_running"] is None
        assert shown["events_listening"]["pid"] == pid

        config = write_config(tmp_path / "config.toml", sim)
        refused = run(["--config", str(config), "--db", db, "sync", "--once", "--update"], env)
        assert refused.returncode != 0
        err = refused.stderr.strip()
        assert "sync already running" not in err, err
        assert "held by a console or daemon with events on" in err and f"pid {pid}" in err
        assert len(err.splitlines()) == 1, err
    finally:
        daemon.kill()
