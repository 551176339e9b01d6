"""A mistyped database URL (`mysql://…`, `postgresq://…`) is refused with one sentence naming the
accepted forms, from `--db` and from TUI_INVENTORY_DB alike: never taken as a SQLite path (a file
tree under the current directory that a sync would fill unnoticed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cli_fixtures import CLI, env_with_passwords

from tui_inventory.store.repo import Store

COMMANDS = {
    "status": ["status"],
    "sync": ["sync", "--once"],
    "export": ["export", "services"],
    "console": [],
}
MISTYPED = [
    "mysql://x@y/z",
    "postgresq://postgres@127.0.0.1/test",
    "postgressql://ops:s3cret-pw@127.0.0.1/inventory",
    "sqlite://inventory.db",  # two slashes: sqlite:///PATH is the form
]


# Every command with one typo from both sources; every typo with one command.
CASES = [(src, MISTYPED[2], cmd) for src in ("--db", "env") for cmd in COMMANDS] + [
    ("--db", url, "status") for url in MISTYPED if url != MISTYPED[2]
]


@pytest.mark.parametrize(("source", "url", "command"), CASES)
def test_a_mistyped_database_url_is_refused_and_creates_nothing(
    tmp_path: Path, source: str, url: str, command: str
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = env_with_passwords(None, tmp_path)
    args = [*CLI]
    if source == "--db":
        args += ["--db", url]
    else:
        env["TUI_INVENTORY_DB"] = url
    done = subprocess.run(
        [*args, *COMMANDS[command]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    err = done.stderr.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert "is not a database address" in err and "postgresql://" in err, err
    assert ("--db" if source == "--db" else "TUI_INVENTORY_DB") in err
    assert "s3cret-pw" not in err and "s3cret-pw" not in done.stdout
    assert "a sync creates the store" not in err
    assert os.listdir(cwd) == [], "a store was created under the current directory"


def test_migrate_refuses_a_mistyped_destination(tmp_path: Path) -> None:
    """`migrate` takes its URLs as arguments: the store's own check refuses them too."""
    source = tmp_path / "inv.db"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    Store(str(source)).close()
    done = subprocess.run(
        [*CLI, "migrate", "--from", str(source), "--to", "postgresq://postgres@127.0.0.1/test"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env_with_passwords(None, tmp_path),
    )
    assert done.returncode != 0
    assert "is not a database address" in done.stderr and "Traceback" not in done.stderr
    assert os.listdir(cwd) == []
