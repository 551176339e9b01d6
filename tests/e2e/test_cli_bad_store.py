"""A `--db` file that is not a database, or a damaged one: one sentence, a non-zero status, and
the file left exactly as it was, from every command that opens a store (`verify` read-only too)
and from the console."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tui_inventory.store.repo import Store

CLI = [sys.executable, "-m", "tui_inventory"]

COMMANDS = {
    "status": ["status"],
    "sync": ["sync", "--once"],
    "export": ["export", "services"],
    "history": ["history", "services", "SVC-1"],
    "verify": ["verify"],  # opens the store read-only
    "changes": ["changes"],
    "cleanup": ["cleanup", "services"],
    "console": [],
    "console-readonly": ["--readonly"],
}


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(5000))


def _text_file(path: Path) -> None:
    path.write_text("host = example.net\nthis is a note, not a database\n")


def _truncated_store(path: Path) -> None:
    Store(str(path)).close()  # a real store, checkpointed into its file on close
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _foreign_sqlite(path: Path) -> None:
    """Another application's database: tables, rows, no tui-inventory `meta`."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    conn.execute("INSERT INTO users VALUES (1, 'alice')")
    conn.commit()
    conn.close()


def _foreign_wal(path: Path) -> None:
    """The same in WAL mode (a read-only look makes -wal and -shm files: they must go again)."""
    _foreign_sqlite(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.commit()
    conn.close()


FILES = {
    "random": _random_bytes,
    "text": _text_file,
    "truncated": _truncated_store,
    "foreign": _foreign_sqlite,
    "foreign-wal": _foreign_wal,
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", list(FILES))
def test_a_file_that_is_not_a_store_is_named_and_left_untouched(
    tmp_path: Path, kind: str, command: str
) -> None:
    path = tmp_path / "inventory.db"
    FILES[kind](path)
    before = path.read_bytes()
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # a past time a write would change
    done = subprocess.run(
        [*CLI, "--db", str(path), *COMMANDS[command]],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    err = done.stderr.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("tui-inventory: "), err
    assert str(path) in err
    expected = "is damaged" if kind == "truncated" else "is not a tui-inventory database"
    assert expected in err
    assert "move it aside" in err or "move the file aside" in err
    assert "file:" not in err and "mode=ro" not in err, "the read-only open's URI leaked"
    assert err.count("is not a tui-inventory") + err.count("is damaged") == 1, err
    if kind.startswith("foreign"):
        assert "users" in err, "the foreign database's tables are named"
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.db"]


READS = ["status", "export", "history", "verify", "changes", "console-readonly"]


def _sqlite_without_tables(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 3")  # a valid SQLite file with a header and no table
    conn.commit()
    conn.close()


@pytest.mark.parametrize("command", READS)
@pytest.mark.parametrize("empty", ["zero-bytes", "no-tables"])
def test_a_read_never_creates_a_store_in_an_empty_file(
    tmp_path: Path, command: str, empty: str
) -> None:
    """Only a sync creates the schema: a read of an empty file says there is no store yet."""
    path = tmp_path / "inventory.db"
    if empty == "zero-bytes":
        path.write_bytes(b"")
    else:
        _sqlite_without_tables(path)
    before = path.read_bytes()
    done = subprocess.run(
        [*CLI, "--db", str(path), *COMMANDS[command]],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    err = done.stderr.strip()
    assert err == (
        f"tui-inventory: there is no store at {path} yet (the file is empty): "
        "a sync creates the store"
    ), err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.db"]
