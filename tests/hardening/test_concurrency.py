"""Concurrency at the store: the console reading and scrolling while the sync writes never meets
"database is locked" (nor waits long), and two syncs started at once on one database run one at a
time: the lease refuses the second with who holds it.

The readers do what the console does: table counts and windows at any offset, sorted and searched,
the status filter's counts, an instance and its history, the Changes feed and the sync log, from
threads sharing the writer's Store, from a Store of their own, and from another process.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tui_inventory import KINDS
from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import SORTS, TableQuery
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine

MakeEngine = Callable[..., SyncEngine]
CLI = [sys.executable, "-m", "tui_inventory"]
SEARCHES = (None, "sat", "operational", "ses 1", "zz-no-such")


def browse(store: Store, query: InventoryQuery, rng: random.Random) -> None:
    """One round of what an operator does in the console: every call a screen refresh makes."""
    for kind in KINDS:
        q = TableQuery(
            kind,
            sort=rng.choice(SORTS),
            descending=rng.random() < 0.5,
            search=rng.choice(SEARCHES),
        )
        total = query.count(q)
        rows = query.window(q, rng.randrange(max(total, 1)), 40)  # jump anywhere, as G and / do
        query.window(q, 0, 40)
        query.statuses(kind)
        if rows:
            row = rng.choice(rows)
            store.get(kind, row.key)
            store.revisions(kind, row.key)
            query.position(q, row.key)
    store.counts()
    store.recent_revisions(50)
    store.log_entries(50)
    store.buildups()
    store.last_type_runs()


# Another console on the same database: browses until told to stop, then reports.
READER_PROCESS = r"""
import json, random, sys, time
from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.repo import Store
sys.path.insert(0, sys.argv[3])
from test_concurrency import browse

store = Store(sys.argv[1])
query = InventoryQuery(store)
rng = random.Random(7)
rounds, errors, slowest = 0, [], 0.0
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        with open(sys.argv[2]) as flag:
            if flag.read() == "stop":
                break
    except FileNotFoundError:
        pass
    started = time.monotonic()
    try:
        browse(store, query, rng)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    slowest = max(slowest, time.monotonic() - started)
    rounds += 1
print(json.dumps({"rounds": rounds, "errors": errors[:5], "slowest": slowest}))
"""


def test_readers_never_see_database_is_locked_while_a_buildup_writes(
    make_sim: Any, make_engine: MakeEngine, tmp_path: Path
) -> None:
    sim = make_sim(services=600, carriers=300, resources=2500)
    db = tmp_path / "inventory.db"
    writer_store = Store(str(db))
    own_store = Store(str(db))
    stop_flag = tmp_path / "stop"
    other = subprocess.Popen(
        [sys.executable, "-c", READER_PROCESS, str(db), str(stop_flag), str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    done = threading.Event()
    errors: list[str] = []
    rounds: dict[str, int] = {}
    slowest: dict[str, float] = {}
    pages = [0]

    def reader(name: str, store: Store, seed: int) -> None:
        query, rng = InventoryQuery(store), random.Random(seed)
        rounds[name], slowest[name] = 0, 0.0
        while not done.is_set():
            started = time.monotonic()
            try:
                browse(store, query, rng)
            except Exception as exc:
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
            slowest[name] = max(slowest[name], time.monotonic() - started)
            rounds[name] += 1

    def count_pages(event: Any) -> None:
        if isinstance(event, ev.PageStored):
            pages[0] += 1

    readers = [
        threading.Thread(target=reader, args=("ui thread", writer_store, 1)),
        threading.Thread(target=reader, args=("table worker", writer_store, 2)),
        threading.Thread(target=reader, args=("own store", own_store, 3)),
    ]
    try:
        for thread in readers:
            thread.start()
        engine = make_engine(
            sim,
            writer_store,
            **{"sync.records_per_page": 50, "sync.page_concurrency": 4},
        )
        engine.on_event = count_pages
        result = engine.run("buildup")
        built = {kind: writer_store.keys(kind) for kind in KINDS}
        update = engine.run("update")  # and the services cleanup, while they read on
    finally:
        done.set()
        for thread in readers:
            thread.join(30)
        stop_flag.write_text("stop")
        out, err = other.communicate(timeout=60)
        own_store.close()

    assert result.ok, result.reason
    assert update.ok, update.reason
    assert pages[0] > 50
    assert errors == [], errors[:5]
    assert all(n >= 3 for n in rounds.values()), rounds  # they really read during the writes
    assert max(slowest.values()) < 5, slowest  # a refresh never waits long for the writer
    assert out.strip(), f"the other console printed no report: {err[-2000:]}"
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert report["errors"] == [], report
    assert report["rounds"] >= 3, report
    for kind in KINDS:
        assert built[kind] == sim.dataset.expected_keys(kind)
    writer_store.close()


def _lease_holder(db: Path) -> int | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            row = conn.execute("select pid from lease").fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


@pytest.mark.slow
def test_two_syncs_at_once_run_one_at_a_time(make_sim: Any, tmp_path: Path) -> None:
    # Slow pages keep the first sync running (seconds) while the second process starts.
    sim = make_sim(services=400, carriers=100, resources=300, latency_ms=400)
    config = tmp_path / "config.toml"
    data: dict[str, dict[str, Any]] = {}
    for name, value in {**sim.settings("ses"), "sync.records_per_page": 20}.items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    config.write_text(tomli_w.dumps(data))
    db = tmp_path / "inventory.db"
    env = {**os.environ, **sim.password_env(), "XDG_STATE_HOME": str(tmp_path / "state")}
    sync = [*CLI, "--config", str(config), "--db", str(db), "sync", "--once", "--buildup"]

    first = subprocess.Popen(sync, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _lease_holder(db) != first.pid:
            assert first.poll() is None, "the first sync ended before the second started"
            assert time.monotonic() < deadline, "the first sync never took the lease"
            time.sleep(0.02)
        second = subprocess.run(sync, env=env, capture_output=True, text=True, timeout=60)
    finally:
        _, err = first.communicate(timeout=120)

    assert second.returncode == 1
    refusal = second.stderr.strip()
    assert len(refusal.splitlines()) == 1, refusal
    assert refusal.startswith(
        f"tui-inventory: sync already running ({socket.gethostname()}, pid {first.pid}, since "
    ), refusal
    assert first.returncode == 0, err[-2000:]
    with Store(str(db)) as store:
        for kind in KINDS:
            assert store.keys(kind) == sim.dataset.expected_keys(kind)
        assert [r["state"] for r in store.runs()] == ["succeeded"]  # the second never started
