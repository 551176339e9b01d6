"""What `sync --once` (and `demo --headless`) tell the operator: each inventory's result line on
stdout, and on a failure why, on stderr, each cause once however many inventories share it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from cli_fixtures import env_with_passwords, free_port, run, write_config
from cli_screen_fixtures import RESULT, results


def sync_once(tmp_path: Path, sim: Any, env: dict[str, str], *extra: str, **settings: Any) -> Any:
    cfg = write_config(tmp_path / "c.toml", sim, **settings)
    db = tmp_path / "inv.db"
    return run(["--config", str(cfg), "--db", str(db), "sync", "--once", *extra], env)


def stderr_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    lines = done.stderr.strip().splitlines()
    assert all(line.startswith("tui-inventory: ") for line in lines), done.stderr
    assert "Traceback" not in done.stderr
    return lines


def test_every_inventory_prints_its_result_line_after_an_update(sim: Any, tmp_path: Path) -> None:
    env = env_with_passwords(sim, tmp_path)
    assert sync_once(tmp_path, sim, env).returncode == 0
    keys = sorted(sim.dataset.expected_keys("services"))
    for key in keys[:5]:  # gone upstream: the update's cleanup removes them
        sim.dataset.remove("services", key)
    sim.dataset.tick()
    done = sync_once(tmp_path, sim, env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    found = results(done.stdout)
    assert set(found) == {"services", "carriers", "resources"}
    assert all(r["state"] == "succeeded" for r in found.values())
    assert found["services"]["removed"] >= 5
    assert done.stdout.rstrip().splitlines()[-1].startswith("stored: services ")


def test_headless_demo_prints_the_same_result_lines(tmp_path: Path) -> None:
    small = ["--services", "60", "--carriers", "20", "--resources", "80", "--latency-ms", "0"]
    done = run(["demo", "--headless", *small], env_with_passwords(None, tmp_path))
    assert done.returncode == 0, done.stderr
    lines = [m.group(0) for m in RESULT.finditer(done.stdout)]
    assert len(lines) == 6  # three inventories, a buildup and an update
    assert "update services:" not in done.stdout  # the old second wording is gone


def test_no_password_is_explained_once_on_stderr(sim: Any, tmp_path: Path) -> None:
    env = env_with_passwords(None, tmp_path)  # no password anywhere, no keyring
    done = sync_once(tmp_path, sim, env)
    assert done.returncode == 1
    lines = stderr_lines(done)
    assert len(lines) == 1, done.stderr
    assert "no password could be read" in lines[0] and "Choices:" in lines[0]
    assert "Choices:" not in done.stdout  # the paragraph once, where errors go
    assert set(results(done.stdout)) == {"services", "carriers", "resources"}


def test_bad_credentials_once_per_api(sim: Any, tmp_path: Path) -> None:
    env = env_with_passwords(
        None,
        tmp_path,
        TUI_INVENTORY_TMF638_PASSWORD="wrong",
        TUI_INVENTORY_TMF639_PASSWORD="wrong",
    )
    done = sync_once(tmp_path, sim, env)
    assert done.returncode == 1
    lines = sorted(stderr_lines(done))
    assert lines == [
        "tui-inventory: authentication failed for TMF638 (HTTP 401) (services, carriers)",
        "tui-inventory: authentication failed for TMF639 (HTTP 401)",
    ]


def test_an_unreachable_api_is_said_once(sim: Any, tmp_path: Path) -> None:
    dead = free_port()
    env = env_with_passwords(sim, tmp_path)
    done = sync_once(tmp_path, sim, env, **{"tmf638.url": f"http://127.0.0.1:{dead}/ses/tmf638"})
    assert done.returncode == 1
    lines = stderr_lines(done)
    assert len(lines) == 1, done.stderr
    assert f"cannot reach TMF638 at 127.0.0.1:{dead}: connection refused" in lines[0]
    assert lines[0].endswith("(services, carriers)")
    assert results(done.stdout)["resources"]["state"] == "succeeded"


def test_a_held_cleanup_names_the_flag_and_the_cleanup_command(sim: Any, tmp_path: Path) -> None:
    env = env_with_passwords(sim, tmp_path)
    assert sync_once(tmp_path, sim, env).returncode == 0
    for kind in ("carriers", "resources"):
        keys = sorted(sim.dataset.expected_keys(kind))
        for key in keys[: int(len(keys) * 0.7)]:
            sim.dataset.remove(kind, key)
    done = sync_once(tmp_path, sim, env, "--buildup")
    assert done.returncode == 1
    lines = stderr_lines(done)
    assert len(lines) == 2, done.stderr
    for kind, line in zip(("carriers", "resources"), sorted(lines), strict=True):
        assert line.startswith(f"tui-inventory: {kind}: cleanup held back: it would remove ")
        assert "--allow-mass-delete" in line
        assert f"`tui-inventory cleanup {kind}`" in line
    assert results(done.stdout)["carriers"]["state"] == "held"
