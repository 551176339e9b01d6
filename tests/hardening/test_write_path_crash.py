"""A buildup's store process writes several pages in one transaction when they are at hand; a
SIGKILL inside such a transaction loses nothing and the next run resumes exactly after the last
page committed (and, the store having been empty, builds the indexes the buildup deferred).

The kill is exact, as in tests/hardening/test_crashes.py: a `sitecustomize` on the child's path
gives the SQLite connections of the sync and its store process a temporary trigger that kills
both with SIGKILL at the N-th carrier row inserted, inside the open transaction. The same hook
makes each row cost three milliseconds more, so the store is the slow side (as it is in a real
buildup) and pages pile up for it: its later transactions hold several. Where a transaction
begins depends on how many pages had arrived when the previous one ended (a page late by a few
milliseconds on a busy machine shifts every later boundary), so the kill waits, from the N-th row
on, for a row that its transaction wrote after more than a page of others: the killed transaction
is always one of several pages, whichever page it began with.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev

KILL_HOOK = r"""
import json, os, signal, time

import peewee as pw

spec = json.loads(os.environ["WRITE_PATH_KILL"])
rows = [0]  # rows of the kind inserted by this process
in_transaction = [0]  # of which by the transaction open now


def row_written():
    rows[0] += 1
    in_transaction[0] += 1
    time.sleep(0.003)
    if rows[0] >= spec["after"] and in_transaction[0] > spec["page"]:
        with open(spec["report"], "w") as report:  # the row the process was killed at
            report.write(str(rows[0]))
        sync = int(os.environ.get("WRITE_PATH_SYNC_PID", os.getpid()))
        if sync != os.getpid():
            os.kill(sync, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    return 0


def traced(sql):
    if sql.lstrip().upper().startswith("BEGIN"):
        in_transaction[0] = 0


TRIGGER = (
    "CREATE TEMP TRIGGER IF NOT EXISTS write_path_kill AFTER INSERT ON main.instance "
    f"WHEN new.kind = '{spec['kind']}' BEGIN SELECT write_path_row_written(); END"
)
add_hooks = pw.SqliteDatabase._add_conn_hooks


def add_hooks_and_trigger(self, conn):
    add_hooks(self, conn)
    conn.create_function("write_path_row_written", 0, row_written)
    conn.set_trace_callback(traced)
    conn.execute(TRIGGER)


pw.SqliteDatabase._add_conn_hooks = add_hooks_and_trigger
"""

KILLED_SYNC = r"""
import json, os, sys

os.environ["WRITE_PATH_SYNC_PID"] = str(os.getpid())  # before the store process starts
spec = json.loads(sys.argv[1])

from tui_inventory.config import Config
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine

config = Config()
for name, value in spec["settings"].items():
    config.set(name, value)
engine = SyncEngine(config, Store(spec["db"]), passwords=spec["passwords"].get)
result = engine.run("buildup")
print(f"never killed: {result.state}")
sys.exit(3)
"""

PAGE = 20


def run_killed_buildup(tmp_path: Path, sim: Any, db: Path, *, kind: str, after: int) -> int:
    """Run a buildup killed at the `after`-th row of `kind` or the first one after it that its
    transaction wrote after more than a page of others; the row it was killed at."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(KILL_HOOK)
    script = tmp_path / "killed_sync.py"
    script.write_text(KILLED_SYNC)
    report = tmp_path / "killed_at"
    settings = {**sim.settings("ses"), "sync.records_per_page": PAGE, "sync.page_concurrency": 4}
    spec = {"db": str(db), "settings": settings, "passwords": sim.passwords}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hooks), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "WRITE_PATH_KILL": json.dumps(
            {"kind": kind, "after": after, "page": PAGE, "report": str(report)}
        ),
    }
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr[-3000:]
    return int(report.read_text())


def digests(store: Store) -> dict[tuple[str, str], str]:
    inst = store.m.instance
    return {(k, key): d for k, key, d in inst.select(inst.kind, inst.key, inst.digest).tuples()}


def index_names(store: Store) -> set[str]:
    sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instance'"
    return {name for (name,) in store.db.execute_sql(sql).fetchall()}


def search_counts(store: Store) -> dict[str, int]:
    """Search word -> the carriers the search index finds for it."""
    sql = "SELECT count(*) FROM instance_fts_carriers WHERE instance_fts_carriers MATCH ?"
    words = ("operational", "planned", "ses", "beam", "a", "1")
    return {w: store.db.execute_sql(sql, (f'"{w}"',)).fetchone()[0] for w in words}


@pytest.mark.slow
def test_sigkill_during_a_multi_page_transaction_loses_nothing_and_the_next_run_resumes(
    make_sim: Any, make_engine: Any, tmp_path: Path
) -> None:
    sim = make_sim(services=40, carriers=1000, resources=40)
    db = tmp_path / "killed.db"
    Store(str(db)).close()
    after = 30 * PAGE + 10  # in page 31 or later: the store's fifth transaction or later

    killed_at = run_killed_buildup(tmp_path, sim, db, kind="carriers", after=after)

    with sqlite3.connect(str(db)) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    store = Store(str(db))  # (opening it does not build the indexes the buildup deferred)
    try:
        assert store.indexes_deferred() and index_names(store) == {"instance_kind_key"}
        committed = store.count("carriers")
        # The killed transaction's rows, more than a page of them, are all gone.
        assert killed_at - committed > PAGE, (killed_at, committed)
        # What committed is whole pages, each with its keys tracked and the next page recorded.
        interrupted = store.buildup("carriers")
        assert interrupted is not None
        assert committed == (interrupted.next_page - 1) * PAGE > 0
        assert store.tracked_count("carriers") == committed

        events: list[Any] = []
        resumed = make_engine(sim, store, events=events).run("auto")
        assert resumed.mode == "buildup" and resumed.ok, resumed.reason
        (started,) = [e for e in events if isinstance(e, ev.TypeStarted) and e.kind == "carriers"]
        assert started.first_page == interrupted.next_page
        assert resumed.types["carriers"].counters.created == 1000 - committed
        resumed_state = digests(store), search_counts(store)
        assert not store.indexes_deferred()  # the resumed buildup built them when it ended
        all_indexes = index_names(store)
    finally:
        store.close()
    with Store(str(tmp_path / "clean.db")) as clean:
        assert index_names(clean) == all_indexes
        assert make_engine(sim, clean).run("buildup").ok
        assert resumed_state == (digests(clean), search_counts(clean))
    with sqlite3.connect(str(db)) as conn:
        twice = conn.execute(
            "select kind, key from revision where change = 'created' "
            "group by kind, key having count(*) > 1"
        ).fetchall()
    assert twice == []
