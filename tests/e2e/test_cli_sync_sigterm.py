"""`sync --once` stopped by SIGTERM (systemd's stop, a cron timeout, `kill`) does what the daemon
does: the page being stored finishes, the run is recorded as cancelled, the result lines are
printed, stderr says it was stopped, and the exit status is 143 (128 + SIGTERM). Ctrl-C (SIGINT)
alike, with 130."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_fixtures import CLI, env_with_passwords, write_config
from daemon_fixtures import wait_for

from tui_inventory.store.lease import current_lease
from tui_inventory.store.repo import Store


@pytest.mark.parametrize(
    ("signum", "name"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")]
)
def test_a_signal_cancels_the_run_prints_its_result_and_exits_128_plus_it(
    make_sim: Any, tmp_path: Path, signum: int, name: str
) -> None:
    sim = make_sim(services=300, carriers=80, resources=400, latency_ms=40)
    db = tmp_path / "inv.db"
    config = write_config(tmp_path / "c.toml", sim, **{"sync.records_per_page": 10})
    env = env_with_passwords(sim, tmp_path)
    with Store(str(db)) as store:
        proc = subprocess.Popen(
            [*CLI, "--config", str(config), "--db", str(db), "sync", "--once"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(
                lambda: sum(tp.pages for tp in store.live_progress().kinds.values()) >= 3,
                60,
                "some pages stored",
            )
            proc.send_signal(signum)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 128 + signum, (out, err)
        assert "Traceback" not in err
        assert f"stopped by {name}" in err and "cancelled" in err, err
        assert "buildup cancelled" in out, out  # the run's result line
        runs = store.runs()
        assert runs[0]["state"] == "cancelled", runs[0]
        assert all(r["state"] != "running" for r in runs)
        assert current_lease(store) is None
        assert store.buildups(), "stopped in the middle of the buildup: it resumes"
        status = subprocess.run(
            [*CLI, "--db", str(db), "status"], env=env, capture_output=True, text=True, timeout=60
        )
        assert "buildup running" not in status.stdout and "cancelled" in status.stdout
