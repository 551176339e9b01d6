"""The command line as an operator uses it: real processes, the simulator on loopback, real files."""

from __future__ import annotations

import base64
import json
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from cli_fixtures import CLI, env_with_passwords, free_port, run, write_config

from tui_inventory import KINDS
from tui_inventory.store.repo import Store


def assert_one_clear_sentence(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode != 0
    err = done.stderr.strip()
    assert "Traceback" not in err, err
    assert err.startswith("tui-inventory: "), err
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


def test_refused_frequency_is_one_clear_sentence(tmp_path: Path) -> None:
    env = env_with_passwords(None, tmp_path, TUI_INVENTORY_CONFIG=str(tmp_path / "c.toml"))
    done = run(["config", "set", "sync.update_frequency", "60"], env)
    assert_one_clear_sentence(done, "between 3600 and 432000")
    assert not (tmp_path / "c.toml").exists()
    assert run(["config", "set", "sync.update_frequency", "7200"], env).returncode == 0
    shown = run(["config", "show"], env)
    assert "sync.update_frequency = 7200" in shown.stdout


def test_bad_config_file_is_one_clear_sentence(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sync]\nupdate_frequency = 'often'\n")
    done = run(["--config", str(cfg), "status"], env_with_passwords(None, tmp_path))
    # status does not read the settings; sync does
    done = run(
        ["--config", str(cfg), "--db", str(tmp_path / "x.db"), "sync", "--once"],
        env_with_passwords(None, tmp_path),
    )
    assert_one_clear_sentence(done, "sync.update_frequency must be a whole number")


def test_unreachable_api_and_bad_credentials(sim: Any, tmp_path: Path) -> None:
    port = free_port()
    cfg = write_config(
        tmp_path / "c.toml",
        sim,
        **{"tmf638.url": f"http://127.0.0.1:{port}/x", "sync.records_per_page": 20},
    )
    env = env_with_passwords(sim, tmp_path, TUI_INVENTORY_TMF639_PASSWORD="not-the-password")
    done = run(["--config", str(cfg), "--db", str(tmp_path / "i.db"), "sync", "--once"], env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "cannot reach TMF638" in done.stdout
    assert "authentication failed for TMF639" in done.stdout


@pytest.mark.slow
def test_simulate_and_sync_in_separate_processes(tmp_path: Path) -> None:
    from tui_inventory.simulator import Simulator

    sizes = {"services": 10000, "carriers": 2000, "resources": 50000}
    # the same seed gives the same dataset
    expected = Simulator(
        services=sizes["services"], carriers=sizes["carriers"], resources=sizes["resources"]
    ).dataset
    port = free_port()
    home = tmp_path
    server = subprocess.Popen(
        [*CLI, "simulate", "--port", str(port), *(f"--{k}={v}" for k, v in sizes.items())],
        env=env_with_passwords(None, home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.05)
        probe = Simulator(services=1, carriers=1, resources=1, port=port)
        settings = probe.settings("ses")
        data: dict[str, dict[str, Any]] = {}
        for name, value in settings.items():
            section, key = name.split(".", 1)
            data.setdefault(section, {})[key] = value
        cfg = tmp_path / "c.toml"
        cfg.write_text(tomli_w.dumps(data))
        env = env_with_passwords(probe, home)
        db = str(tmp_path / "inv.db")
        done = run(
            ["--config", str(cfg), "--db", db, "sync", "--once", "--buildup"], env, timeout=900
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        status = json.loads(run(["--db", db, "status", "--json"], env).stdout)
        for kind in KINDS:
            assert status["counts"][kind] == len(expected.expected_keys(kind))
        assert status["buildup_completed"] is True
        out = tmp_path / "resources.json"
        assert (
            run(
                ["--db", db, "export", "resources", "--format", "json", "-o", str(out)], env
            ).returncode
            == 0
        )
        exported = json.loads(out.read_text())
        assert {e["id"] for e in exported} == expected.expected_keys("resources")
        assert {"id", "name", "status", "type", "fields"} <= set(exported[0])
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)


def test_export_formats_and_history(sim: Any, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", sim, **{"sync.records_per_page": 25})
    env = env_with_passwords(sim, tmp_path)
    db = str(tmp_path / "inv.db")
    assert run(["--config", str(cfg), "--db", db, "sync", "--once"], env).returncode == 0
    key = sorted(sim.dataset.expected_keys("carriers"))[0]
    sim.dataset.set_field("carriers", key, "Name", "Renamed for history")
    assert (
        run(["--config", str(cfg), "--db", db, "sync", "--once", "--buildup"], env).returncode == 0
    )
    hist = json.loads(run(["--db", db, "history", "carriers", key, "--json"], env).stdout)
    assert [h["change"] for h in hist] == ["changed", "created"]
    assert hist[0]["changes"]["Name"]["new"] == "Renamed for history"
    lines = run(["--db", db, "export", "carriers", "--format", "jsonl"], env).stdout.splitlines()
    assert len(lines) == len(sim.dataset.expected_keys("carriers"))
    found = run(
        ["--db", db, "export", "carriers", "--format", "csv", "--search", "renamed for"], env
    )
    rows = found.stdout.strip().splitlines()
    assert rows[0].startswith("id,name,status,type,")
    assert len(rows) == 2 and rows[1].startswith(key)
    missing = run(["--db", db, "history", "carriers", "NO-SUCH-KEY"], env)
    assert_one_clear_sentence(missing, "NO-SUCH-KEY")


def _stored_snapshot(db: str) -> set[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("select kind, key, digest from instance"))


@pytest.mark.slow
def test_buildup_killed_with_sigkill_resumes_to_the_same_store(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(
        services=400, carriers=120, resources=700, latency_ms=15, duplicates=3, null_keys=2
    )
    cfg = write_config(
        tmp_path / "c.toml", sim, **{"sync.records_per_page": 20, "sync.page_concurrency": 2}
    )
    env = env_with_passwords(sim, tmp_path)
    killed_db = str(tmp_path / "killed.db")
    proc = subprocess.Popen(
        [*CLI, "--config", str(cfg), "--db", killed_db, "sync", "--once", "--buildup"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    store = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                why = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"the buildup ended before it could be killed: {why[-2000:]}")
            if Path(killed_db).exists():
                store = store or Store(killed_db)
                b = store.buildup("carriers")
                if b is not None and b.pages_done >= 2:
                    break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
    assert store is not None
    interrupted = store.buildup("carriers")
    assert interrupted is not None and interrupted.next_page > 1
    with sqlite3.connect(killed_db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    store.close()

    resumed = run(["--config", str(cfg), "--db", killed_db, "sync", "--once"], env)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert f"carriers: buildup started (resuming at page {interrupted.next_page})" in resumed.stdout
    clean_db = str(tmp_path / "clean.db")
    assert (
        run(["--config", str(cfg), "--db", clean_db, "sync", "--once", "--buildup"], env).returncode
        == 0
    )
    assert _stored_snapshot(killed_db) == _stored_snapshot(clean_db)
    with sqlite3.connect(killed_db) as conn:
        twice = conn.execute(
            "select kind, key from revision where change = 'created' group by kind, key having count(*) > 1"
        ).fetchall()
    assert twice == []


def test_no_password_reaches_config_database_log_or_export(make_sim: Any, tmp_path: Path) -> None:
    sim = make_sim()
    sim.faults.add("carriers", 2, "504", times=-1)
    sim.faults.add("resources", 3, "502")
    cfg = write_config(tmp_path / "c.toml", sim, **{"sync.records_per_page": 20})
    env = env_with_passwords(sim, tmp_path)
    db = str(tmp_path / "inv.db")
    run(["--debug", "--config", str(cfg), "--db", db, "sync", "--once"], env)
    bad = dict(env, TUI_INVENTORY_TMF638_PASSWORD="wrong-secret-value-42")
    run(["--debug", "--config", str(cfg), "--db", db, "sync", "--once", "--update"], bad)
    export = tmp_path / "out.json"
    run(["--db", db, "export", "services", "--format", "json", "-o", str(export)], env)
    secrets = [sim.passwords["tmf638"], sim.passwords["tmf639"], "wrong-secret-value-42"]
    users = sim.settings("ses")
    forms: list[bytes] = []
    for secret in secrets:
        forms.append(secret.encode())
        for api in ("tmf638", "tmf639"):
            forms.append(base64.b64encode(f"{users[api + '.username']}:{secret}".encode()))
    files = [cfg, export, *Path(db).parent.glob("inv.db*"), *(tmp_path / "state").rglob("*")]
    logs = [f for f in files if f.suffix == ".log" or ".log." in f.name]
    assert logs, "the log file was written"
    for f in files:
        if f.is_file():
            content = f.read_bytes()
            for form in forms:
                assert form not in content, f"{form!r} found in {f}"


READ_ONLY_COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["export", "services", "--format", "json"],
    ["history", "services", "SVC-000001"],
    ["--readonly"],  # the console that only shows a store
]


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=" ".join)
def test_a_read_only_command_refuses_a_missing_store_and_creates_nothing(
    command: list[str], tmp_path: Path
) -> None:
    missing = tmp_path / "mistyped" / "nonexist.db"
    done = run(["--db", str(missing), *command], env_with_passwords(None, tmp_path))
    assert_one_clear_sentence(done, f"there is no store at {missing}", "--db")
    assert done.stdout == ""
    assert not missing.parent.exists()  # neither the file nor its directory


def test_a_missing_store_named_by_the_environment_or_a_sqlite_url(tmp_path: Path) -> None:
    missing = tmp_path / "nonexist.db"
    env = env_with_passwords(None, tmp_path, TUI_INVENTORY_DB=str(missing))
    assert_one_clear_sentence(
        run(["status"], env), f"there is no store at {missing}", "TUI_INVENTORY_DB"
    )
    done = run(["--db", f"sqlite:///{missing}", "export", "carriers"], env)
    assert_one_clear_sentence(done, f"there is no store at {missing}")
    assert not missing.exists()


def test_status_on_a_fresh_machine_says_no_store_yet(tmp_path: Path) -> None:
    done = run(["status"], env_with_passwords(None, tmp_path))  # no --db: the default path
    default = tmp_path / "data" / "tui-inventory" / "inventory.db"
    assert_one_clear_sentence(
        done, f"there is no store yet at {default}: run `tui-inventory sync --once` first"
    )
    assert not default.exists()


def test_sync_still_creates_the_store_read_only_commands_then_read(
    sim: Any, tmp_path: Path
) -> None:
    cfg = write_config(tmp_path / "c.toml", sim, **{"sync.records_per_page": 25})
    env = env_with_passwords(sim, tmp_path)
    db = tmp_path / "new" / "inv.db"
    assert run(["--config", str(cfg), "--db", str(db), "sync", "--once"], env).returncode == 0
    status = json.loads(run(["--db", str(db), "status", "--json"], env).stdout)
    assert status["counts"]["carriers"] == len(sim.dataset.expected_keys("carriers"))


def test_a_page_that_failed_once_is_read_by_the_next_sync_and_status_says_so(
    make_sim: Any, tmp_path: Path
) -> None:
    """tester2 finding 1: page 2 of carriers fails its three tries once, then works."""
    sim = make_sim(services=20, carriers=200, resources=20)
    sim.faults.add("carriers", 2, "504", times=3)
    cfg = write_config(tmp_path / "c.toml", sim)
    env = env_with_passwords(sim, tmp_path)
    db = str(tmp_path / "inv.db")
    sync = ["--config", str(cfg), "--db", db, "sync", "--once"]

    first = run(sync, env)
    assert "carriers: partial" in first.stdout, first.stdout
    status = run(["--db", db, "status"], env).stdout
    assert "carriers: 1 page not read yet (a gap: page 2) — the next run reads it again" in status

    second = run(sync, env)
    assert "run 2: update succeeded" in second.stdout, second.stdout
    assert "stored: services 20, carriers 200" in second.stdout
    with Store(db) as store:
        assert store.keys("carriers") == sim.dataset.expected_keys("carriers")
    status = run(["--db", db, "status"], env).stdout
    assert "not read yet" not in status
    assert "1 recorded, 0 open" in status
