"""The store's schema: created on first use, upgraded in place by numbered migrations.

`meta.schema_version` holds the version a database is at. On PostgreSQL, opening a store reads it
(one query, no write, so a console whose database role may only read opens a current database);
only a new or older database takes the schema lock — an advisory lock, so a daemon and consoles
started together never race on CREATE TABLE — and is brought up to date in one transaction: the
migrations after its version, then whatever table or index is missing, the search indexes
(`fts`), the definitions. A SQLite file takes that path (under its write lock) at every open, as
cheap there as it always was. A database newer than this program is refused.

To change the schema: change the models, add `MIGRATIONS[n]` that brings a version n-1 database
to the new shape (with plain SQL that both backends accept, or a branch per backend), and bump
SCHEMA_VERSION to n. A new database is created from the models directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import peewee as pw

from tui_inventory.errors import StoreError
from tui_inventory.store import event_schema, fts, pg_search
from tui_inventory.store.db import write_transaction
from tui_inventory.store.models import Models
from tui_inventory.tmf.definitions import DEFINITIONS

SCHEMA_VERSION = 6
# The search indexes carry their own version (`fts.FTS_VERSION`); the version they were last
# ensured at is kept beside the schema's, so a change there also takes the slow path once. (So on
# PostgreSQL a change to what `fts.ensure` creates reaches existing databases with a bump of it.)
FTS_STAMP = "schema_fts"
# pg_advisory_xact_lock keys ("tui" and a number): held until the transaction ends.
SCHEMA_LOCK = 0x7475_6900_0001
LEASE_LOCK = 0x7475_6900_0002

Migration = Callable[[pw.Database, Models], None]
# In `meta` while a first buildup into an empty SQLite inventory defers the instance table's sort
# indexes: they are built once when it ends (`Store.build_deferred_indexes`). Its value is
# SORT_ONLY; any other value (a time: what versions before 0.5 wrote) means the search index was
# deferred too, and is built with them.
INDEXES_DEFERRED = "indexes_deferred"
SORT_ONLY = "sort indexes"


def _buildup_page_size(db: pw.Database, m: Models) -> None:
    """2: a buildup records its page size, so a resume with another page size loses nothing."""
    db.execute_sql("ALTER TABLE buildup ADD COLUMN page_size INTEGER NOT NULL DEFAULT 0")


def _search_text(db: pw.Database, m: Models) -> None:
    """3: each instance keeps the text its search index holds (see `fts`), filled here for the
    rows stored before; the search indexes are then rebuilt from it (FTS_VERSION changed too)."""
    if "search_text" not in {c.name for c in db.get_columns("instance")}:
        db.execute_sql("ALTER TABLE instance ADD COLUMN search_text TEXT NOT NULL DEFAULT ''")
    if not is_postgres(db):
        db.execute_sql(f"UPDATE instance SET search_text = {fts.body_sql('instance')}")
        return
    inst = m.instance
    last = 0
    while True:
        rows = list(
            inst.select(
                inst.id, inst.key, inst.name, inst.status, inst.type, inst.site, inst.fields
            )
            .where(inst.id > last)
            .order_by(inst.id)
            .limit(1000)
            .tuples()
        )
        if not rows:
            return
        texts = [
            (fts.search_text(key, name, status, type_, site, json.loads(fields)), id_)
            for id_, key, name, status, type_, site, fields in rows
        ]
        from psycopg2.extras import execute_batch  # PostgreSQL only: one round trip a batch

        execute_batch(
            db.cursor(), "UPDATE instance SET search_text = %s WHERE id = %s", texts, page_size=500
        )
        last = rows[-1][0]


def _revisions_by_time(db: pw.Database, m: Models) -> None:
    """5: revisions are indexed by time, (at, id); the index is created with the missing ones."""


def _gaps_read_again(db: pw.Database, m: Models) -> None:
    """6: a buildup's gap records its page size and when it was settled (read again, or made moot
    by a new buildup), so the next run reads it again."""
    have = {c.name for c in db.get_columns("gap")}
    if "page_size" not in have:
        db.execute_sql("ALTER TABLE gap ADD COLUMN page_size INTEGER NOT NULL DEFAULT 0")
    if "settled_at" not in have:
        db.execute_sql("ALTER TABLE gap ADD COLUMN settled_at VARCHAR(32) NOT NULL DEFAULT ''")


MIGRATIONS: dict[int, Migration] = {
    2: _buildup_page_size,
    3: _search_text,
    4: event_schema.create_tables,  # event_seen and event_hub (SPEC §10)
    5: _revisions_by_time,
    6: _gaps_read_again,
}  # version n -> the step from n-1


def is_postgres(db: pw.Database) -> bool:
    return isinstance(db, pw.PostgresqlDatabase)


def advisory_lock(db: pw.Database, key: int) -> None:
    """Serialise on `key` until the current transaction ends (PostgreSQL; SQLite's write
    transactions are serialised already)."""
    if is_postgres(db):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))


def stamps(db: pw.Database) -> dict[str, str]:
    """The schema's version stamps in `meta`; empty for a database without the schema."""
    if not db.table_exists("meta"):
        return {}
    rows = db.execute_sql(
        f"SELECT name, value FROM meta WHERE name IN ({db.param}, {db.param}, {db.param})",
        ("schema_version", FTS_STAMP, pg_search.STAMP),
    ).fetchall()
    return {name: value for name, value in rows}


def deferred(db: pw.Database) -> str | None:
    """What a first buildup has deferred (the value of INDEXES_DEFERRED), None when nothing."""
    if is_postgres(db) or not db.table_exists("meta"):
        return None
    sql = f"SELECT value FROM meta WHERE name = {db.param}"
    row = db.execute_sql(sql, (INDEXES_DEFERRED,)).fetchone()
    return None if row is None else str(row[0])


def indexes_deferred(db: pw.Database) -> bool:
    """Whether a first buildup has deferred the sort indexes (see INDEXES_DEFERRED)."""
    return deferred(db) is not None


def search_deferred(db: pw.Database) -> bool:
    """Whether a first buildup (of an earlier version) has deferred the search index as well."""
    value = deferred(db)
    return value is not None and value != SORT_ONLY


def version_of(db: pw.Database) -> int | None:
    value = stamps(db).get("schema_version")
    try:
        return int(value) if value is not None else None
    except ValueError:
        raise StoreError(f"the database's schema version {value!r} is not a number") from None


def is_current(db: pw.Database) -> bool:
    s = stamps(db)
    if is_postgres(db) and s.get(pg_search.STAMP) != pg_search.VERSION:
        return False  # (PostgreSQL's search index and counts: `pg_search`)
    return s.get("schema_version") == str(SCHEMA_VERSION) and s.get(FTS_STAMP) == fts.FTS_VERSION


def ensure(db: pw.Database, m: Models) -> None:
    """Create or upgrade the schema of `db` (see the module's docstring)."""
    if is_postgres(db) and is_current(db):
        return
    try:
        with write_transaction(db):
            advisory_lock(db, SCHEMA_LOCK)
            _upgrade(db, m)
    except pw.ProgrammingError as exc:
        if "permission denied" not in str(exc) and "must be owner" not in str(exc):
            raise
        raise StoreError(
            "the database needs its tui-inventory schema created or upgraded, and this "
            "database user may not do it: open it once as the database's owner "
            "(`tui-inventory status` does)"
        ) from None


def _upgrade(db: pw.Database, m: Models) -> None:
    found = version_of(db)  # read again under the lock: another process may have done it
    if found is not None and found > SCHEMA_VERSION:
        raise StoreError(
            f"the database's schema is version {found}, newer than this tui-inventory knows "
            f"({SCHEMA_VERSION}): upgrade tui-inventory"
        )
    if found is not None:
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](db, m)
    # A new database is created from the models; an upgraded one gets its new tables and indexes.
    if indexes_deferred(db):  # the sort indexes stay away until the first buildup builds them
        db.create_tables([t for t in m.all if t is not m.instance], safe=True)
        fts.ensure(db, sort_indexes=False)
    else:
        db.create_tables(m.all, safe=True)
        fts.ensure(db)
    event_schema.create_tables(db)  # plain-SQL tables of their own module (not models)
    stamped = [("schema_version", str(SCHEMA_VERSION)), (FTS_STAMP, fts.FTS_VERSION)]
    if is_postgres(db):
        pg_search.ensure(db)
        stamped.append((pg_search.STAMP, pg_search.VERSION))
    for name, value in stamped:
        m.meta.insert(name=name, value=value).on_conflict(
            conflict_target=[m.meta.name], update={m.meta.value: value}
        ).execute()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for d in DEFINITIONS.values():
        body = json.dumps(d.to_json(), ensure_ascii=False, separators=(",", ":"))
        m.definition.insert(
            name=d.name, title=d.title, body=body, created_at=stamp
        ).on_conflict_ignore().execute()
