"""Crashes: SIGKILL in the middle of a page write and of a cleanup, a disk that fills during a write,
a database directory that cannot be written.

The kills are exact: the sync runs in a child process whose SQLite connections carry a temporary
trigger that calls back into the process after the N-th instance row is written or deleted, and
the callback kills the process with SIGKILL there and then, inside the open transaction. The
product's code is not touched; the trigger only exists in the child's connections.

The disk and the read-only directory are real: a small tmpfs mounted for the test (the suite runs
as root in CI; elsewhere these tests are skipped with the reason).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hostile import hooked_path, integrity, snapshot

from tui_inventory.errors import StoreError
from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine

MakeEngine = Callable[..., SyncEngine]

# The child: a real SyncEngine on the test's simulator and database, killed by SIGKILL from inside
# SQLite after the N-th row of `kind` is inserted or deleted (`on`), wherever the engine does it.
# The hook is a `sitecustomize` on the child's path, so the sync's store process (which writes a
# buildup's pages) carries it too; a kill there takes the whole sync down, as `kill -9` of its
# process group would.
KILL_HOOK = r"""
import json, os, signal

import peewee as pw

spec = json.loads(os.environ["HARDENING_KILL"])
rows = [0]


def row_written():
    rows[0] += 1
    if rows[0] >= spec["after"]:
        sync = int(os.environ.get("HARDENING_SYNC_PID", os.getpid()))
        if sync != os.getpid():
            os.kill(sync, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    return 0


alias = "new" if spec["on"] == "INSERT" else "old"
TRIGGER = (
    f"CREATE TEMP TRIGGER IF NOT EXISTS hardening_kill AFTER {spec['on']} ON main.instance "
    f"WHEN {alias}.kind = '{spec['kind']}' BEGIN SELECT hardening_row_written(); END"
)
add_hooks = pw.SqliteDatabase._add_conn_hooks


def add_hooks_and_trigger(self, conn):
    add_hooks(self, conn)
    conn.create_function("hardening_row_written", 0, row_written)
    conn.execute(TRIGGER)


pw.SqliteDatabase._add_conn_hooks = add_hooks_and_trigger
"""

KILLED_SYNC = r"""
import json, os, sys

os.environ["HARDENING_SYNC_PID"] = str(os.getpid())  # before the store process starts
spec = json.loads(sys.argv[1])

from tui_inventory.config import Config
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine

config = Config()
for name, value in spec["settings"].items():
    config.set(name, value)
engine = SyncEngine(config, Store(spec["db"]), passwords=spec["passwords"].get)
result = engine.run(spec["mode"])
print(f"never killed: {spec['after']} rows not reached; {result.state}")
sys.exit(3)
"""


def run_killed_sync(
    tmp_path: Path, sim: Any, db: Path, *, mode: str, on: str, kind: str, after: int
) -> None:
    """Run a sync in a child process that SIGKILLs itself after `after` rows of `kind` were
    inserted or deleted (`on`), inside the transaction that writes them."""
    script = tmp_path / "killed_sync.py"
    script.write_text(KILLED_SYNC)
    settings = {**sim.settings("ses"), "sync.records_per_page": 20, "sync.page_concurrency": 4}
    spec = {
        "db": str(db),
        "settings": settings,
        "passwords": sim.passwords,
        "mode": mode,
    }
    env = {
        **os.environ,
        "PYTHONPATH": hooked_path(tmp_path / "hooks", KILL_HOOK),
        "HARDENING_KILL": json.dumps({"on": on, "kind": kind, "after": after}),
    }
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr[-3000:]


def created_twice(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(str(db)) as conn:
        return list(
            conn.execute(
                "select kind, key from revision where change = 'created' "
                "group by kind, key having count(*) > 1"
            )
        )


def removed_revisions(db: Path, kind: str) -> int:
    with sqlite3.connect(str(db)) as conn:
        sql = "select count(*) from revision where change = 'removed' and kind = ?"
        return int(conn.execute(sql, (kind,)).fetchone()[0])


@pytest.mark.slow
def test_sigkill_during_a_page_write_leaves_an_intact_store_that_resumes(
    make_sim: Any, make_engine: MakeEngine, tmp_path: Path
) -> None:
    sim = make_sim(services=40, carriers=100, resources=40)
    db = tmp_path / "killed.db"
    Store(str(db)).close()

    # 20 carriers a page: the 30th row is the middle of page 2's transaction
    run_killed_sync(tmp_path, sim, db, mode="buildup", on="INSERT", kind="carriers", after=30)

    assert integrity(db) == "ok"
    store = Store(str(db))
    try:
        assert store.count("carriers") == 20  # page 1 only: nothing of the killed page 2
        interrupted = store.buildup("carriers")
        assert interrupted is not None and interrupted.next_page == 2
        assert store.tracked_count("carriers") == 20
        assert store.keys("services") == sim.dataset.expected_keys("services")

        events: list[Any] = []
        resumed = make_engine(sim, store, events=events).run("auto")  # the dead holder's lease
        assert resumed.mode == "buildup" and resumed.ok, resumed.reason
        (started,) = [e for e in events if isinstance(e, ev.TypeStarted) and e.kind == "carriers"]
        assert started.first_page == 2
        resumed_snapshot = snapshot(store)
    finally:
        store.close()
    with Store(str(tmp_path / "clean.db")) as clean:
        assert make_engine(sim, clean).run("buildup").ok
        assert resumed_snapshot == snapshot(clean)
    assert created_twice(db) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "kind"), [("buildup", "carriers"), ("update", "services")], ids=["buildup", "update"]
)
def test_sigkill_during_a_cleanup_removes_all_or_nothing_and_the_next_run_finishes_it(
    mode: str, kind: str, make_sim: Any, make_engine: MakeEngine, tmp_path: Path
) -> None:
    sim = make_sim(services=600, carriers=300, resources=40)
    db = tmp_path / "killed.db"
    with Store(str(db)) as store:
        assert make_engine(sim, store).run("buildup").ok
        if mode == "buildup":  # 120 of 300 carriers deleted upstream: two batches to remove
            for key in sorted(sim.dataset.expected_keys("carriers"))[:120]:
                sim.dataset.remove("carriers", key)
            would = 120
        else:  # the update's cleanup removes every service that is not Operational
            would = store.count_non_operational("services")
        before = snapshot(store)
    assert would > 10

    run_killed_sync(tmp_path, sim, db, mode=mode, on="DELETE", kind=kind, after=would - 10)

    assert integrity(db) == "ok"
    assert removed_revisions(db, kind) == 0
    with Store(str(db)) as store:
        assert snapshot(store) == before  # all or nothing: nothing
        if mode == "buildup":
            assert store.buildup(kind) is not None  # the listing was done: only the cleanup left
        resumed = make_engine(sim, store).run("auto")
        assert resumed.mode == mode and resumed.ok, resumed.reason
        assert resumed.types[kind].counters.removed == would
        assert store.count(kind) == len({k for (kd, k) in before if kd == kind}) - would
        if mode == "buildup":
            assert store.keys(kind) == sim.dataset.expected_keys(kind)
    assert removed_revisions(db, kind) == would


# -- a small real filesystem ---------------------------------------------------------------------


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` for the test; skips when mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()[:200]}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount_read_only(path: Path) -> None:
    done = subprocess.run(["mount", "-o", "remount,ro", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def fill(directory: Path, leave: int) -> Path:
    """Fill the filesystem of `directory` until `leave` bytes are free; returns the filler file."""
    filler = directory / "filler"
    stat = os.statvfs(directory)
    free = stat.f_bavail * stat.f_frsize
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


@pytest.mark.slow
def test_the_disk_filling_during_a_write_rolls_back_with_a_clear_error(
    make_sim: Any, make_engine: MakeEngine, tmp_path: Path
) -> None:
    sim = make_sim(services=20, carriers=1000, resources=20)
    with tmpfs(tmp_path / "small", "32m") as small:
        db = small / "inventory.db"
        store = Store(str(db))
        try:
            filler = fill(small, leave=1024 * 1024)
            full = make_engine(sim, store).run("buildup")
            carriers = full.types["carriers"]
            assert carriers.state == "failed"
            assert carriers.reason == (
                f"the disk is full: a write to the database {db} was rolled back and the store "
                "is as it was before it; free some space and run again"
            )
            assert full.state == "failed" and carriers.reason in full.reason

            # Intact and readable: every stored carrier belongs to a page the buildup completed
            assert integrity(db) == "ok"
            stored = store.count("carriers")
            interrupted = store.buildup("carriers")
            assert interrupted is not None
            assert stored == store.tracked_count("carriers") > 0
            assert stored < len(sim.dataset.expected_keys("carriers"))
            assert {r.key for r in store.iter_instances("carriers")} <= sim.dataset.expected_keys(
                "carriers"
            )

            filler.unlink()  # the operator frees space: the next run resumes and completes
            result = make_engine(sim, store).run("auto")
            assert result.mode == "buildup" and result.ok, result.reason
            assert store.keys("carriers") == sim.dataset.expected_keys("carriers")
        finally:
            store.close()
        assert created_twice(db) == []


def test_a_read_only_database_directory_is_refused_clearly(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m") as directory:
        remount_read_only(directory)
        with pytest.raises(StoreError) as raised:
            Store(str(directory / "inventory.db"))
        assert raised.value.message == (
            f"the database directory {directory} is read-only: SQLite needs to write its "
            "journal there"
        )
        done = subprocess.run(  # (a sync creates its store; `status` would say there is none)
            [
                sys.executable,
                "-m",
                "tui_inventory",
                "--db",
                str(directory / "x.db"),
                "sync",
                "--once",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"tui-inventory: the database directory {directory} is read-only: SQLite needs to "
        "write its journal there"
    )


def test_a_database_on_a_file_system_gone_read_only_is_refused_clearly(
    sim: Any, make_engine: MakeEngine, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "ro", "8m") as directory:
        db = directory / "inventory.db"
        with Store(str(db)) as store:
            assert make_engine(sim, store).run("buildup").ok
        gc.collect()  # the sync's writer thread leaves its connection to the collector
        remount_read_only(directory)
        with pytest.raises(StoreError) as raised:
            Store(str(db))
    assert raised.value.message == f"the database {db} is read-only for this user"
