"""The store's side of event notifications (SPEC §10): events already applied, the hubs this
store registered, and one instance stored or removed by an event.

Two small tables (`event_schema`: created by schema migration 4 and with every new database):
- `event_seen`: the `eventId`s applied, so a repeated event is applied once, across a restart
  (written in the transaction that applies the event: a process killed half-way applied neither).
- `event_hub`: per API, the hub id and address this store registered, so the next start can drop
  it before registering again.
Plain SQL that both SQLite and PostgreSQL accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_inventory.store.repo import now_iso

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tui_inventory.domain import Counters
    from tui_inventory.store.repo import Store
    from tui_inventory.tmf.mapping import Mapped

SEEN_KEPT = 100_000  # event ids remembered; the oldest go first (a provider repeats soon or never)


def already_applied(store: Store, event_id: str) -> bool:
    p = store.db.param
    sql = f"SELECT 1 FROM event_seen WHERE event_id = {p}"
    return store.db.execute_sql(sql, (event_id,)).fetchone() is not None


def mark_applied(store: Store, event_id: str) -> bool:
    """Record `event_id` (inside the applying transaction); False when it was there already."""
    p = store.db.param
    cursor = store.db.execute_sql(
        f"INSERT INTO event_seen (event_id, seen_at) VALUES ({p}, {p}) ON CONFLICT DO NOTHING",
        (event_id[:255], now_iso()),
    )
    return bool(cursor.rowcount)


def forget_oldest(store: Store, keep: int = SEEN_KEPT) -> int:
    """Keep the newest `keep` event ids; returns how many were forgotten."""
    p = store.db.param
    with store.transaction():
        cursor = store.db.execute_sql(
            "DELETE FROM event_seen WHERE event_id NOT IN (SELECT event_id FROM event_seen "
            f"ORDER BY seen_at DESC, event_id DESC LIMIT {p})",
            (keep,),
        )
    return int(cursor.rowcount)


def applied_count(store: Store) -> int:
    return int(store.db.execute_sql("SELECT COUNT(*) FROM event_seen").fetchone()[0])


def hubs(store: Store) -> dict[str, tuple[str, str]]:
    """api -> (hub id, the hub's address) of the hubs this store registered."""
    rows = store.db.execute_sql("SELECT api, hub_id, url FROM event_hub").fetchall()
    return {api: (hub_id, url) for api, hub_id, url in rows}


def save_hub(store: Store, api: str, hub_id: str, url: str) -> None:
    p = store.db.param
    with store.transaction():
        store.db.execute_sql(f"DELETE FROM event_hub WHERE api = {p}", (api,))
        store.db.execute_sql(
            f"INSERT INTO event_hub (api, hub_id, url, registered_at) VALUES ({p}, {p}, {p}, {p})",
            (api, hub_id, url, now_iso()),
        )


def drop_hub(store: Store, api: str) -> None:
    p = store.db.param
    with store.transaction():
        store.db.execute_sql(f"DELETE FROM event_hub WHERE api = {p}", (api,))


def store_instances(store: Store, kind: str, run: int, items: Sequence[Mapped]) -> Counters:
    """Create or update instances (distinct keys) by the update's rules (modems keep their
    stored status); call inside `store.transaction()`."""
    return store.store_page(kind, run, items)


def remove_instance(store: Store, kind: str, run: int, key: str) -> int:
    """Remove one instance, leaving its 'removed' revision; call inside `store.transaction()`."""
    return store._remove(kind, run, store.m.instance.key == key)


@dataclass(frozen=True)
class EventStatus:
    """What the dashboard says of events: live or off, how many arrived, when the last one was
    stored (ISO, UTC) — read from the latest event run, so a console watching a daemon sees it."""

    live: bool
    received: int
    last_at: str | None


def event_status(store: Store) -> EventStatus | None:
    """The latest event run's figures; None when events never ran against this store."""
    p = store.db.param
    row = store.db.execute_sql(
        f"SELECT id, state FROM sync_run WHERE mode = {p} ORDER BY id DESC LIMIT 1", ("event",)
    ).fetchone()
    if row is None:
        return None
    run, state = row
    (received,) = store.db.execute_sql(
        f'SELECT COALESCE(SUM(received), 0) FROM type_run WHERE "run" = {p}', (run,)
    ).fetchone()
    (last,) = store.db.execute_sql(
        f'SELECT MAX("at") FROM revision WHERE "run" = {p}', (run,)
    ).fetchone()
    return EventStatus(state == "running", int(received), last)
