"""Moving a whole store to another database (`tui-inventory migrate`): typically a SQLite file to
the team's PostgreSQL server, but any backend to any other.

Copied, table by table, in primary-key order and in batches: definitions, instances, revisions
(ids kept, so their order is too), runs and type runs, buildup state and tracked keys (an
interrupted buildup resumes from the new database), gaps, held cleanups, the log. Not the lease (it
belongs to a running process) nor `meta` (each database keeps its own schema stamps); the
destination's derived tables (SQLite's search indexes and counts) follow by their triggers.

Both databases' leases are held while copying, so no sync writes to either; the source is read in
one snapshot and the destination written in one transaction, so a failed copy leaves nothing
behind. Afterwards PostgreSQL's id sequences are moved past the copied ids.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import peewee as pw

from tui_inventory.errors import LeaseHeld, StoreError
from tui_inventory.store import fts, pg_search
from tui_inventory.store.db import describe, sqlite_path
from tui_inventory.store.lease import SyncLease
from tui_inventory.store.repo import Store

# Models attributes, in the order they are copied.
TABLES: tuple[str, ...] = (
    "definition",
    "instance",
    "revision",
    "run",
    "type_run",
    "buildup",
    "tracked",
    "gap",
    "held",
    "log",
)
PARAMS_PER_INSERT = 10_000  # bound parameters per multi-row INSERT (SQLite allows 32766)

OnTable = Callable[[str, int], None]


def table_name(model: Any) -> str:
    return str(model._meta.table_name)


def _fields(model: Any) -> list[pw.Field]:
    return list(model._meta.sorted_fields)


def _key_fields(model: Any) -> list[pw.Field]:
    pk = model._meta.primary_key
    if isinstance(pk, pw.CompositeKey):
        return [model._meta.fields[name] for name in pk.field_names]
    return [pk]


def rows_in_order(model: Any, batch: int) -> Iterator[list[tuple[Any, ...]]]:
    """Every row of `model`'s table in primary-key order, `batch` rows at a time (keyset paging:
    no OFFSET, no cursor holding the whole table)."""
    fields = _fields(model)
    keys = _key_fields(model)
    names = [f.name for f in fields]  # (Field == Field builds an expression: compare names)
    at = [names.index(k.name) for k in keys]
    last: tuple[Any, ...] | None = None
    while True:
        query = model.select(*fields).order_by(*keys).limit(batch)
        if last is not None:
            after = keys[0] > last[0] if len(keys) == 1 else pw.Tuple(*keys) > pw.Tuple(*last)
            query = query.where(after)
        rows = list(query.tuples())
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][i] for i in at)


def _same_database(a: str, b: str) -> bool:
    pa, pb = sqlite_path(a), sqlite_path(b)
    if pa is None or pb is None:
        return a.rstrip("/") == b.rstrip("/")
    return os.path.realpath(pa) == os.path.realpath(pb)


def _check_source(url: str) -> None:
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise StoreError(f"there is no store at {path}")


def holdings(store: Store) -> dict[str, int]:
    """Rows per copied table, definitions aside (every store has those from its first open)."""
    return {name: getattr(store.m, name).select().count() for name in TABLES[1:]}


def _hold(store: Store, role: str) -> SyncLease:
    lease = SyncLease(store)
    try:
        lease.acquire()
    except LeaseHeld as exc:
        raise StoreError(
            f"cannot migrate while a sync runs against the {role} "
            f"({describe(store.url)}): {exc.message}"
        ) from None
    return lease


def _fix_sequences(store: Store) -> None:
    """Move PostgreSQL's id sequences past the ids copied in (an explicit id does not)."""
    if not store.is_postgres:
        return  # SQLite's next rowid is the largest plus one
    for model in store.m.all:
        pk = model._meta.primary_key
        if isinstance(pk, pw.AutoField):  # BigAutoField too
            table, column = table_name(model), pk.column_name
            store.db.execute_sql(
                f'SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX("{column}"), 1), '
                f'MAX("{column}") IS NOT NULL) FROM "{table}"',
                (table, column),
            )


def copy_store(src: Store, dst: Store, *, on_table: OnTable | None = None) -> dict[str, int]:
    """Copy every table of TABLES from `src` into the (emptied) `dst`; returns rows per table.
    Call with both leases held; the destination is written in one transaction."""
    copied: dict[str, int] = {}
    with src.snapshot(), dst.transaction():
        for name in reversed(TABLES):
            getattr(dst.m, name).delete().execute()
        for name in TABLES:
            source, target = getattr(src.m, name), getattr(dst.m, name)
            fields = _fields(target)
            batch = max(1, PARAMS_PER_INSERT // len(fields))
            n = 0
            for rows in rows_in_order(source, batch):
                target.insert_many(rows, fields=fields).as_rowcount().execute()
                n += len(rows)
            copied[name] = n
            if on_table is not None:
                on_table(table_name(target), n)
        _fix_sequences(dst)
        # rows copied in are not indexed on the way
        (fts.rebuild if isinstance(dst.db, pw.SqliteDatabase) else pg_search.rebuild)(dst.db)
    return copied


def migrate_store(
    source: str, dest: str, *, force: bool = False, on_table: OnTable | None = None
) -> dict[str, int]:
    """Copy the store at `source` to `dest` (see the module's docstring); returns rows per table.
    A destination that holds data is refused unless `force`, which replaces that data."""
    if _same_database(source, dest):
        raise StoreError("the source and the destination are the same database")
    _check_source(source)
    with Store(source) as src, Store(dest) as dst:
        src_lease = _hold(src, "source")
        try:
            dst_lease = _hold(dst, "destination")
            try:
                held = {k: n for k, n in holdings(dst).items() if n}
                if held and not force:
                    what = ", ".join(
                        f"{n} {table_name(getattr(dst.m, k))}" for k, n in held.items()
                    )
                    raise StoreError(
                        f"the destination {describe(dest)} is not empty ({what}); "
                        "pass --force to replace what it holds"
                    )
                return copy_store(src, dst, on_table=on_table)
            finally:
                dst_lease.release()
        finally:
            src_lease.release()
