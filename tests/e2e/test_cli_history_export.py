"""`history` prints changed fields as the console does; an export to a terminal shows no control
characters while an export to a file or a pipe stays byte-exact."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli_fixtures import CLI, env_with_passwords, run
from cli_screen_fixtures import run_in_pty

from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine

HOSTILE_NAME = "Evil\x1b[31mRed\x1b]0;title\x07 \x9b2J end"


def changed_store(
    sim: Any, tmp_path: Path, make_engine: Callable[..., SyncEngine]
) -> tuple[Path, str]:
    """A store with a buildup, then an update in which one service's CIR and name changed."""
    db = tmp_path / "inv.db"
    key = sorted(sim.dataset.expected_keys("services"))[0]
    with Store(str(db)) as store:
        engine = make_engine(sim, store)
        assert engine.run("buildup").ok
        sim.dataset.set_characteristic("services", key, "CIR_Mbps", 12345)
        sim.dataset.set_field("services", key, "name", HOSTILE_NAME)
        assert engine.run("update").ok
    return db, key


def test_history_prints_changed_members_as_the_console_does(
    sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    db, key = changed_store(sim, tmp_path, make_engine)
    done = run(["--db", str(db), "history", "services", key], env_with_passwords(None, tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.search(r"^    Service Characteristics › CIR_Mbps: .* → 12345$", done.stdout, re.M), (
        done.stdout
    )
    # No whole dict: each characteristic on its own line, by its name.
    assert not any(line.startswith("    Service Characteristics:") for line in lines)
    name = next(line for line in lines if line.startswith("    Name: "))
    assert "\x1b" not in name and "\x07" not in name and "␛" in name


def test_export_to_a_terminal_shows_no_control_characters_files_and_pipes_stay_exact(
    sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    db, _ = changed_store(sim, tmp_path, make_engine)
    env = env_with_passwords(None, tmp_path)
    raw_name = HOSTILE_NAME.encode()
    for fmt in ("csv", "json"):
        status, screen = run_in_pty(["--db", str(db), "export", "services", "--format", fmt], env)
        assert status == 0
        assert b"\x1b" not in screen and b"\x07" not in screen and "\x9b".encode() not in screen
        if fmt == "csv":
            assert "Evil␛[31mRed␛]0;title␇ <9B>2J end".encode() in screen
        else:  # JSON escapes C0 itself; the C1 CSI it writes raw is made visible
            assert b"Evil\\u001b[31mRed\\u001b]0;title\\u0007 <9B>2J end" in screen
        piped = subprocess.run(
            [*CLI, "--db", str(db), "export", "services", "--format", fmt],
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert piped.returncode == 0
        if fmt == "csv":
            assert raw_name in piped.stdout  # a pipe gets the data as stored
        else:
            assert b"Evil\\u001b[31mRed" in piped.stdout  # JSON escapes it itself
        out = tmp_path / f"services.{fmt}"
        status, _ = run_in_pty(
            ["--db", str(db), "export", "services", "--format", fmt, "-o", str(out)], env
        )
        assert status == 0
        assert out.read_bytes() == piped.stdout  # a file written from a terminal: byte-exact


def test_history_json_on_a_terminal_shows_no_control_characters(
    sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    db, key = changed_store(sim, tmp_path, make_engine)
    env = env_with_passwords(None, tmp_path)
    status, screen = run_in_pty(["--db", str(db), "history", "services", key, "--json"], env)
    assert status == 0
    assert "\x9b".encode() not in screen and b"\x1b" not in screen
    assert b"<9B>2J end" in screen
    piped = run(["--db", str(db), "history", "services", key, "--json"], env)
    assert "\x9b2J end" in piped.stdout  # a pipe gets the data as stored


def test_export_file_extension_picks_the_format_unless_format_is_given(
    sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    """One rule with the console's export dialog: .json JSON, .jsonl JSON lines, any other CSV;
    `--format` overrides the extension."""
    import csv
    import json

    db, _ = changed_store(sim, tmp_path, make_engine)
    env = env_with_passwords(None, tmp_path)
    with Store(str(db)) as store:
        total = store.counts()["services"]

    def export(name: str, *extra: str) -> Path:
        out = tmp_path / name
        done = run(["--db", str(db), "export", "services", "-o", str(out), *extra], env)
        assert done.returncode == 0, done.stderr
        return out

    listed = json.loads(export("a.json").read_text(encoding="utf-8"))
    assert isinstance(listed, list) and len(listed) == total and "id" in listed[0]
    lines = export("a.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == total and all(json.loads(line)["id"] for line in lines)
    with export("a.csv").open(newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh))[:4] == ["id", "name", "status", "type"]
    # --format wins over the extension.
    with export("b.json", "--format", "csv").open(newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh))[:4] == ["id", "name", "status", "type"]
    assert isinstance(json.loads(export("c.txt", "--format", "json").read_text()), list)
    helped = run(["export", "--help"], env)
    assert ".jsonl" in helped.stdout and "extension" in helped.stdout
