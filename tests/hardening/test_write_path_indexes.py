"""A first buildup into an empty SQLite inventory writes each row once: the tables' sort indexes
are built when it ends (the sync log says so), and until then the tables answer without them;
the search index grows as rows arrive, so search finds them during the buildup."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tui_inventory import KINDS
from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.tmf.mapping import Mapped

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
    during: list[tuple[set[str], int, int]] = []
    with Store(str(tmp_path / "first.db")) as store:
        all_indexes = index_names(store)
        engine = make_engine(sim, store)

        def on_event(event: Any) -> None:
            if isinstance(event, ev.PageStored) and event.kind == "resources" and not during:
                with Store(store.url) as console:  # another reader, as the console is
                    rows = console.db.execute_sql(
                        "SELECT key FROM instance WHERE kind = 'resources' ORDER BY name LIMIT 5"
                    ).fetchall()
                    found = console.db.execute_sql(
                        "SELECT count(*) FROM instance_fts_resources "
                        "WHERE instance_fts_resources MATCH ?",
                        (f'"{re.findall("[0-9A-Za-z]+", rows[0][0])[-1]}"',),  # a stored key's
                    ).fetchone()[0]
                    during.append((index_names(console), len(rows), found))

        engine.on_event = on_event
        assert engine.run("buildup").ok
        (indexes, rows, found) = during[0]
        assert indexes == {"instance_kind_key"} and rows == 5  # the table answers meanwhile
        assert found > 0  # and search finds what is stored so far
        assert index_names(store) == all_indexes
        assert not store.indexes_deferred()
        messages = [e["message"] for e in store.log_entries(1000)]
        assert any("built once, when it ends" in m for m in messages)
        assert any(m.startswith("sort orders built in") for m in messages)
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


def test_a_buildup_of_an_earlier_version_that_deferred_search_gets_it_built(
    make_sim: Any, make_engine: Any, tmp_path: Any
) -> None:
    """Versions before 0.5 deferred the search index too (their marker holds a time): a store
    left so by a killed buildup has its search index built before the next run writes (then
    what it changes or removes is in the index), its sort indexes when the buildup ends."""
    sim = make_sim(resources=300)
    db = str(tmp_path / "earlier.db")
    with Store(db) as store:
        assert store.defer_indexes()
        store.db.execute_sql(
            "UPDATE meta SET value = '2026-01-01T00:00:00.000000Z' WHERE name = 'indexes_deferred'"
        )
    with Store(db) as store:  # as the earlier version left it: rows stored without search
        modem = Mapped("MODEM-OLD", "old modem", "active", "Modem", "", {"Name": "old modem"})
        with store.transaction():
            store.store_page("resources", None, [modem])
        assert sum(search_counts(store).values()) == 0
        assert make_engine(sim, store).run("buildup").ok
        assert not store.indexes_deferred()
        assert search_counts(store)["resources", "modem"] > 0
