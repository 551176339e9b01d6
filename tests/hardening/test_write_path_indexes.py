"""A first buildup into an empty SQLite inventory writes each row once: the tables' sort indexes
and the search index are built when it ends (the sync log says so), and until then the tables
answer without them."""

from __future__ import annotations

from typing import Any

import pytest

from tui_inventory import KINDS
from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev

WORDS = ("operational", "planned", "ses", "beam", "modem", "a", "1")


def index_names(store: Store) -> set[str]:
    sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instance'"
    return {name for (name,) in store.db.execute_sql(sql).fetchall()}


def search_counts(store: Store) -> dict[tuple[str, str], int]:
    """(inventory, word) -> the instances the search index finds for the word."""
    out = {}
    for kind in KINDS:
        table = f"instance_fts_{kind}"
        for word in WORDS:
            sql = f"SELECT count(*) FROM {table} WHERE {table} MATCH ?"
            out[kind, word] = store.db.execute_sql(sql, (f'"{word}"',)).fetchone()[0]
    return out


def status_counts(store: Store) -> list[tuple[Any, ...]]:
    sql = "SELECT kind, status, n FROM instance_count WHERE n > 0 ORDER BY kind, status"
    return list(store.db.execute_sql(sql).fetchall())


def test_a_first_buildup_builds_its_indexes_once_at_the_end_and_says_so(
    make_sim: Any, make_engine: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = make_sim(resources=400)
    during: list[tuple[set[str], int]] = []
    with Store(str(tmp_path / "first.db")) as store:
        all_indexes = index_names(store)
        engine = make_engine(sim, store)

        def on_event(event: Any) -> None:
            if isinstance(event, ev.PageStored) and event.kind == "resources" and not during:
                with Store(store.url) as console:  # another reader, as the console is
                    rows = console.db.execute_sql(
                        "SELECT key FROM instance WHERE kind = 'resources' ORDER BY name LIMIT 5"
                    ).fetchall()
                    during.append((index_names(console), len(rows)))

        engine.on_event = on_event
        assert engine.run("buildup").ok
        (indexes, rows) = during[0]
        assert indexes == {"instance_kind_key"} and rows == 5  # the table answers meanwhile
        assert index_names(store) == all_indexes
        assert not store.indexes_deferred()
        messages = [e["message"] for e in store.log_entries(1000)]
        assert any("built once, when it ends" in m for m in messages)
        assert any(m.startswith("search index and sort orders built in") for m in messages)
        built = (search_counts(store), status_counts(store))

    # The same buildup with its indexes kept as rows arrive finds the same.
    monkeypatch.setattr(Store, "defer_indexes", lambda self: False)
    with Store(str(tmp_path / "kept.db")) as kept:
        assert make_engine(sim, kept).run("buildup").ok
        assert (search_counts(kept), status_counts(kept)) == built
        assert sum(n for (_, _), n in built[0].items()) > 0


def test_a_store_that_is_not_empty_keeps_its_indexes_through_a_buildup(
    make_sim: Any, make_engine: Any, tmp_path: Any
) -> None:
    sim = make_sim()
    store = Store(str(tmp_path / "inventory.db"))
    assert make_engine(sim, store).run("buildup").ok
    names = index_names(store)
    seen: list[set[str]] = []
    engine = make_engine(sim, store)
    engine.on_event = lambda e: (
        seen.append(index_names(store)) if isinstance(e, ev.PageStored) else None
    )
    assert engine.run("buildup").ok
    assert seen and all(s == names for s in seen)
    store.close()
