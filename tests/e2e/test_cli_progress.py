"""`sync --once` by hand in a terminal draws a progress bar per inventory and ends with the result
lines; piped, or with --json-log, it prints plain lines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import tomli_w
from cli_fixtures import env_with_passwords, run
from cli_screen_fixtures import RESULT, run_in_pty

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def tmf630_config(sim: Any, path: Path) -> Path:
    """The standard dialect: its pages carry X-Total-Count, so the bars know their totals."""
    data: dict[str, dict[str, Any]] = {"sync": {"records_per_page": 10, "page_concurrency": 2}}
    for name, value in sim.settings("tmf630").items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    path.write_text(tomli_w.dumps(data))
    return path


def test_a_terminal_gets_a_bar_per_inventory_then_the_result_lines(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=400, carriers=100, resources=400, latency_ms=20)
    cfg = tmf630_config(sim, tmp_path / "c.toml")
    env = env_with_passwords(sim, tmp_path, COLUMNS="140", TERM="xterm")
    status, raw = run_in_pty(
        ["--config", str(cfg), "--db", str(tmp_path / "inv.db"), "sync", "--once"], env
    )
    assert status == 0, raw[-3000:]
    screen = raw.decode()
    assert "\x1b[" in screen  # drawn live, not printed line by line
    text = ANSI.sub("", screen).replace("\r\n", "\n")
    frames = text.replace("\r", "\n")
    for kind in ("services", "carriers", "resources"):
        bar = re.search(
            rf"^{kind}\s+━+\s+(\d+)%\s+page \d+\s+(\d+) items\s+(\d+)/s\s+ETA\s+\S+", frames, re.M
        )
        assert bar, f"no bar for {kind}"
    assert re.search(r"\d+%.*ETA\s+\d+:\d\d:\d\d", frames)  # a total known: percent and ETA
    shown = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]  # after a CR: what shows
    end = [line for line in shown if line.strip()][-5:]
    assert [RESULT.match(line) is not None for line in end[:3]] == [True, True, True], end
    assert end[3].startswith("run 1: buildup succeeded") and end[4].startswith("stored: ")


def test_piped_or_json_log_prints_plain_lines(make_sim: Any, tmp_path: Path) -> None:
    sim = make_sim(services=60, carriers=20, resources=60)
    cfg = tmf630_config(sim, tmp_path / "c.toml")
    env = env_with_passwords(sim, tmp_path, TERM="xterm")
    db = str(tmp_path / "inv.db")
    done = run(["--config", str(cfg), "--db", db, "sync", "--once"], env)
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "━" not in done.stdout
    assert len(RESULT.findall(done.stdout)) == 3
    status, raw = run_in_pty(
        ["--config", str(cfg), "--db", db, "sync", "--once", "--json-log"], env
    )
    assert status == 0
    lines = [line for line in raw.decode().replace("\r\n", "\n").split("\n") if line]
    assert "━" not in raw.decode()
    assert all(json.loads(line)["event"] for line in lines)  # every line a JSON object
