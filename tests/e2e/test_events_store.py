"""The store's event tables: created by migration 4 on both backends, the event ids kept."""

from __future__ import annotations

from collections.abc import Callable

from tui_inventory.store import events as store_events
from tui_inventory.store import schema
from tui_inventory.store.repo import Store

MakeStore = Callable[[], Store]


def test_a_version_3_database_gets_the_event_tables(make_store: MakeStore) -> None:
    store = make_store()
    store.db.execute_sql("DROP TABLE event_seen")
    store.db.execute_sql("DROP TABLE event_hub")
    p = store.db.param
    store.db.execute_sql(f"UPDATE meta SET value = {p} WHERE name = 'schema_version'", ("3",))
    store.close()
    upgraded = make_store()
    assert schema.version_of(upgraded.db) == schema.SCHEMA_VERSION >= 4
    with upgraded.transaction():
        assert store_events.mark_applied(upgraded, "evt-1")
        assert not store_events.mark_applied(upgraded, "evt-1")
    assert store_events.already_applied(upgraded, "evt-1")
    store_events.save_hub(upgraded, "tmf639", "hub-1", "http://upstream/tmf639/hub")
    assert store_events.hubs(upgraded) == {"tmf639": ("hub-1", "http://upstream/tmf639/hub")}


def test_only_the_newest_event_ids_are_kept(make_store: MakeStore) -> None:
    store = make_store()
    with store.transaction():
        for n in range(10):
            store_events.mark_applied(store, f"evt-{n}")
    assert store_events.forget_oldest(store, keep=4) == 6
    assert store_events.applied_count(store) == 4
    assert store_events.already_applied(store, "evt-9")
