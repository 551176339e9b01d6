"""`tui-inventory changes` (SPEC §11): the revisions of a time window, oldest first, with old and
new values; relative and ISO 8601 times; against the simulator and a real store on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui_inventory.cli import main
from tui_inventory.errors import InventoryError
from tui_inventory.store.changes import ChangeWindow, parse_time, read_changes, stamp
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine


def _age_everything(store: Store, hours: float) -> None:
    """Make every revision so far `hours` old (a buildup of yesterday, say)."""
    old = stamp(datetime.now(UTC) - timedelta(hours=hours))
    with store.transaction():
        store.m.revision.update(at=old).execute()


def _buildup_then_update(sim: Any, store: Store, make_engine: Callable[..., SyncEngine]) -> int:
    assert make_engine(sim, store).run("buildup").ok
    _age_everything(store, 2)
    sim.dataset.changes_per_poll = 12
    sim.dataset.tick()
    result = make_engine(sim, store).run("update")
    assert result.ok
    return result.run_id


def test_changes_since_1h_lists_exactly_the_update(
    sim: Any, tmp_path: Any, make_engine: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "store.db")
    with Store(db) as store:
        run = _buildup_then_update(sim, store, make_engine)
        expected = [
            (r.kind, r.key, r.change)
            for r in store.m.revision.select()
            .where(store.m.revision.run == run)
            .order_by(store.m.revision.id)
        ]
    assert expected, "the update changed something"
    capsys.readouterr()
    assert main(["--db", db, "changes", "--since", "1h", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["inventory"], r["key"], r["change"]) for r in listed] == expected
    assert {r["run"] for r in listed} == {run}
    ats = [r["at"] for r in listed]
    assert ats == sorted(ats)  # oldest first
    changed = [r for r in listed if r["change"] == "changed"]
    for r in changed:  # each with the old and new value of what changed
        assert r["changes"] and all(v["old"] != v["new"] for v in r["changes"].values())

    # Filters: one inventory, one kind of change; a window before the update holds none of it.
    assert main(["--db", db, "changes", "--since", "1h", "--change", "changed", "--json"]) == 0
    only = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in only] == [r["key"] for r in changed]
    assert main(["--db", db, "changes", "--inventory", "resources", "--until", "1h", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before and {r["inventory"] for r in before} == {"resources"}
    assert {r["change"] for r in before} == {"created"}  # the buildup, with its fields
    assert all(r["changes"]["ID"]["new"] == r["key"] for r in before)

    assert main(["--db", db, "changes", "--since", "1h"]) == 0
    text = capsys.readouterr().out
    assert text.rstrip().endswith(f"{len(expected)} revision(s)")


def test_a_window_streams_in_order_across_batches(store: Store) -> None:
    """More revisions than a batch, some sharing one time: each once, in (time, id) order."""
    same = stamp(datetime.now(UTC))
    rows = [
        {"kind": "services", "key": f"S{i}", "at": same if i % 2 else stamp(datetime.now(UTC)),
         "run": 1, "change": "changed", "name": "", "changes": json.dumps({"Name": ["a", "b"]})}
        for i in range(23)
    ]  # fmt: skip
    with store.transaction():
        store.m.revision.insert_many(rows).execute()
    got = list(read_changes(store, ChangeWindow(), batch=5))
    want = sorted(store.m.revision.select().tuples(), key=lambda r: (r[3], r[0]))
    assert [r.id for r in got] == [r[0] for r in want]
    newest = list(read_changes(store, ChangeWindow(), newest_first=True, limit=7, batch=3))
    assert [r.id for r in newest] == [r[0] for r in reversed(want)][:7]


def test_times_relative_and_iso() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert parse_time("2h", now=now) == "2026-12-02T10:00:00.000000Z"
    assert parse_time("3d", now=now) == "2026-11-29T12:00:00.000000Z"
    assert parse_time("30m", now=now) == "2026-12-02T11:30:00.000000Z"
    assert parse_time("2026-12-01T08:00:00Z") == "2026-12-01T08:00:00.000000Z"
    assert parse_time("2026-12-01T09:00:00+01:00") == "2026-12-01T08:00:00.000000Z"
    with pytest.raises(InventoryError, match="not a time"):
        parse_time("yesterday")


def test_a_bad_time_is_one_sentence(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s.db")
    Store(db).close()
    assert main(["--db", db, "changes", "--since", "soon"]) == 1
    err = capsys.readouterr().err
    assert "is not a time" in err and "Traceback" not in err
