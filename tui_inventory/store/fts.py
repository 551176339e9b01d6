"""The search index of the instance table: an SQLite FTS5 index kept current by triggers.

What is searchable (the same on every backend, see `tui_inventory.store.query`): an instance's key,
name, status, type and site, and every text or number value inside its mapped fields —
characteristic values, descriptions, customers, gateways, the ids and names of the instances it
refers to — except the dates and "Other Fields" (the upstream's unmapped leftovers).

The index is contentless (`content=''`, `detail=none`): it holds tokens and rowids only, so it
costs little space and supports prefix queries (`"term"*`), which is all search-as-you-type needs.
Triggers on `instance` keep it current whatever writes the table (a page stored, a cleanup, an
older tool), computing the indexed text from the row in SQL; a removal replays the old row's text
(a contentless index must be told which tokens to drop). On PostgreSQL nothing is created here:
the query falls back to regular expressions over the same columns.
"""

from __future__ import annotations

import peewee as pw

from tui_inventory.tmf.definitions import DATETIME, DEFINITIONS, OTHER_FIELDS

FTS_TABLE = "instance_fts"
# Bump when the indexed text changes: the index is then dropped and rebuilt from the table.
FTS_VERSION = "1"

_DATE_FIELDS = sorted({f.name for d in DEFINITIONS.values() for f in d.fields if f.type == DATETIME})


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def body_sql(row: str) -> str:
    """SQL for the indexed text of the instance row named `row` (`new`, `old` or a table alias)."""
    dates = ", ".join(_sql_string(n) for n in _DATE_FIELDS)
    other = _sql_string('$."' + OTHER_FIELDS + '"%')
    values = (
        f"(SELECT group_concat(j.value, ' ') FROM json_tree({row}.fields) AS j "
        f"WHERE j.type IN ('text', 'integer', 'real') AND j.fullkey NOT LIKE {other} "
        f"AND NOT (j.path = '$' AND j.key IN ({dates})))"
    )
    cols = " || ' ' || ".join(
        f"{row}.{c}" for c in ("key", "name", "status", "type", "site")
    )
    return f"{cols} || ' ' || coalesce({values}, '')"


def _triggers() -> list[str]:
    add = f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, {body_sql('new')});"
    drop = (
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) "
        f"VALUES ('delete', old.id, {body_sql('old')});"
    )
    return [
        f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON instance BEGIN {add} END",
        f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON instance BEGIN {drop} END",
        f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF key, name, status, type, site, fields "
        f"ON instance BEGIN {drop} {add} END",
    ]


def ensure(db: pw.Database) -> None:
    """Create (or, after a version change, re-create and refill) the index and its triggers, and
    the index that sorting by `updated_at` needs. Call inside the schema transaction."""
    # Sorting the tables by "updated" seeks on this, as the other columns seek on theirs.
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS instance_kind_updated_at_key ON instance (kind, updated_at, key)"
    )
    if not isinstance(db, pw.SqliteDatabase):
        return
    row = db.execute_sql("SELECT value FROM meta WHERE name = 'fts_version'").fetchone()
    exists = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)
    ).fetchone()
    if exists and row and row[0] == FTS_VERSION:
        return
    for suffix in ("ai", "ad", "au"):
        db.execute_sql(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
    db.execute_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    db.execute_sql(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "body, content='', detail=none, prefix='1 2', tokenize='unicode61')"
    )
    for sql in _triggers():
        db.execute_sql(sql)
    db.execute_sql(
        f"INSERT INTO {FTS_TABLE}(rowid, body) SELECT i.id, {body_sql('i')} FROM instance AS i"
    )
    db.execute_sql(
        "INSERT INTO meta (name, value) VALUES ('fts_version', ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (FTS_VERSION,),
    )
