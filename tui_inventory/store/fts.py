"""What the tables derive from the instance table, kept current by triggers: a search index per
inventory (SQLite FTS5) and the instance counts per inventory and status.

Searchable (the same on every backend, see `tui_inventory.store.query`): an instance's key, name,
status, type and site, and every text or number value inside its mapped fields — characteristic
values, descriptions, customers, gateways, the ids and names of the instances it refers to —
except the dates and "Other Fields" (the upstream's unmapped leftovers).

Each index is contentless (`content=''`, `detail=none`, `columnsize=0`): tokens and rowids only,
small, and enough for word and prefix queries (nothing ranks matches, so no token counts). One per inventory, so a search counts its matches without touching
the instance table. The counts table makes a table's row count and its status filter's choices
instant at a million instances (SQLite has no O(1) count of an index range).

The indexed text of a row is computed once, in Python, when the row is written (`search_text`: a
walk over the fields is several times cheaper than SQLite's json_tree) and kept in the row's
`search_text` column. Rows a page inserts are indexed by `index_new_rows`, one statement per page
for all of them (triggers, row by row, made a buildup several times slower); changes and removals
are kept current by triggers, whatever updates or deletes rows — a removal replays the old row's
stored text, so the contentless index is told exactly the tokens it holds. Whatever inserts
instances other than `Store.store_page` fills `search_text` and calls `index_new_rows` or
`rebuild`. On PostgreSQL nothing is created here but the sort indexes: its search index and counts
are `tui_inventory.store.pg_search`'s.

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee as pw

from tui_inventory.tmf.definitions import DATETIME, DEFINITIONS, OTHER_FIELDS

COUNTS_TABLE = "instance_count"
# Bump when the indexed text or the triggers change: everything is then rebuilt from the table.
FTS_VERSION = "5"

_DATE_FIELDS = sorted(
    {f.name for d in DEFINITIONS.values() for f in d.fields if f.type == DATETIME}
)
UNSEARCHED = (OTHER_FIELDS, *_DATE_FIELDS)  # top-level fields whose values are not searched
# PostgreSQL: every string and number inside a jsonb value.
_UNSEARCHED_SET = frozenset(UNSEARCHED)
PG_LEAVES = 'strict $.** ? (@.type() == "string" || @.type() == "number")'


def fts_table(kind: str) -> str:
    """The search index of inventory `kind` (one of the definitions' names)."""
    if kind not in DEFINITIONS:
        raise ValueError(f"unknown inventory {kind!r}")
    return f"instance_fts_{kind}"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def search_text(key: str, name: str, status: str, type_: str, site: str, fields: Any) -> str:
    """The text the search index holds for an instance: its key, name, status, type and site, then
    every text and number inside its fields, in order, except the UNSEARCHED top-level fields."""
    out = [key, name, status, type_, site]
    add = out.append
    stack: list[Any] = [v for k, v in reversed(fields.items()) if k not in _UNSEARCHED_SET]
    pop, push = stack.pop, stack.extend
    while stack:
        v = pop()
        t = type(v)
        if t is str:
            add(v)
        elif t is dict:
            push(reversed(v.values()))
        elif t is list:
            push(reversed(v))
        elif t is int or t is float:
            add(str(v))
    return " ".join(out)


def body_sql(row: str) -> str:
    """SQL for the indexed text of the instance row named `row` (a table alias), computed from its
    fields: how rows stored before schema 3 get their `search_text`."""
    # json_remove first, then one walk: much cheaper than filtering json_tree's paths row by row.
    skipped = ", ".join(_sql_string(f'$."{n}"') for n in UNSEARCHED)
    values = (
        f"(SELECT group_concat(j.atom, ' ') FROM json_tree(json_remove({row}.fields, {skipped})) "
        "AS j WHERE j.type IN ('text', 'integer', 'real'))"
    )
    cols = " || ' ' || ".join(f"{row}.{c}" for c in ("key", "name", "status", "type", "site"))
    return f"{cols} || ' ' || coalesce({values}, '')"


def _triggers() -> dict[str, str]:
    """name -> CREATE TRIGGER statement."""
    add_count = (
        f"INSERT INTO {COUNTS_TABLE} (kind, status, n) VALUES (new.kind, new.status, 1) "
        "ON CONFLICT (kind, status) DO UPDATE SET n = n + 1;"
    )
    drop_count = (
        f"UPDATE {COUNTS_TABLE} SET n = n - 1 WHERE kind = old.kind AND status = old.status;"
    )
    out = {
        "instance_count_ad": f"AFTER DELETE ON instance BEGIN {drop_count} END",
        "instance_count_au": (
            "AFTER UPDATE OF kind, status ON instance "
            "WHEN old.kind IS NOT new.kind OR old.status IS NOT new.status "
            f"BEGIN {drop_count} {add_count} END"
        ),
    }
    for kind in DEFINITIONS:
        table, is_kind = fts_table(kind), _sql_string(kind)
        add = f"INSERT INTO {table} (rowid, body) SELECT new.id, new.search_text"
        drop = (
            f"INSERT INTO {table} ({table}, rowid, body) SELECT 'delete', old.id, old.search_text"
        )
        columns = "kind, search_text"
        # One update trigger per index, so the old tokens are dropped before the new are added
        # (SQLite gives no order between triggers; the other way round loses shared words).
        out |= {
            f"{table}_ad": f"AFTER DELETE ON instance WHEN old.kind = {is_kind} BEGIN {drop}; END",
            f"{table}_au": (
                f"AFTER UPDATE OF {columns} ON instance "
                f"WHEN old.kind = {is_kind} OR new.kind = {is_kind} "
                f"BEGIN {drop} WHERE old.kind = {is_kind}; {add} WHERE new.kind = {is_kind}; END"
            ),
        }
    return out


def ensure(db: pw.Database, *, sort_indexes: bool = True) -> None:
    """Create (or, after a version change, re-create and refill) the search indexes, the counts
    and their triggers, and the sort indexes the models lack (unless `sort_indexes` is False:
    a first buildup builds them when it ends). Call inside the schema transaction."""
    # The tables seek on an index in their sort order, also when filtered by status.
    for column in ("updated_at", *(f"status, {c}" for c in ("name", "type", "site", "updated_at"))):
        name = "instance_kind_" + column.replace(", ", "_") + "_key"
        if sort_indexes:
            db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON instance (kind, {column}, key)")
    if not isinstance(db, pw.SqliteDatabase):
        return
    row = db.execute_sql("SELECT value FROM meta WHERE name = 'fts_version'").fetchone()
    if row and row[0] == FTS_VERSION:
        return
    # (Re)build: drop what an earlier version made, then create and fill from the table.
    objects = db.execute_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'table') "
        "AND (name LIKE 'instance\\_fts%' ESCAPE '\\' OR name LIKE 'instance\\_count%' ESCAPE '\\')"
    ).fetchall()
    for type_, name, _sql in objects:
        # Triggers first; then the virtual tables (which drop their shadow tables) and counts.
        if type_ == "trigger":
            db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"')
    for type_, name, sql in objects:
        if type_ == "table" and (name == COUNTS_TABLE or sql.startswith("CREATE VIRTUAL")):
            db.execute_sql(f'DROP TABLE IF EXISTS "{name}"')
    db.execute_sql(
        f"CREATE TABLE {COUNTS_TABLE} (kind TEXT NOT NULL, status TEXT NOT NULL, "
        "n INTEGER NOT NULL, PRIMARY KEY (kind, status)) WITHOUT ROWID"
    )
    for kind in DEFINITIONS:
        db.execute_sql(
            f"CREATE VIRTUAL TABLE {fts_table(kind)} USING fts5("
            "body, content='', detail=none, columnsize=0, prefix='1 2 3', tokenize='unicode61')"
        )
    for kind in DEFINITIONS:
        index_new_rows(db, kind, 0)
    for name, body in _triggers().items():
        db.execute_sql(f"CREATE TRIGGER {name} {body}")
    db.execute_sql(
        "INSERT INTO meta (name, value) VALUES ('fts_version', ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (FTS_VERSION,),
    )


def index_new_rows(
    db: pw.Database,
    kind: str,
    after_id: int,
    statuses: Mapping[str, int] | None = None,
    *,
    search: bool = True,
) -> None:
    """Index the instances of `kind` inserted with ids above `after_id`: their search text and
    their counts — `statuses` (status -> rows) when the caller knows them, else counted from the
    rows; with `search` False, only their counts (a first buildup indexes them when it ends).
    SQLite only; call in the transaction that inserted them. (`+kind`: the new rows are found
    by their rowids; an index on kind would read the whole inventory at every page.)"""
    if not isinstance(db, pw.SqliteDatabase):
        return
    if search:
        db.execute_sql(
            f"INSERT INTO {fts_table(kind)} (rowid, body) SELECT id, search_text "
            "FROM instance WHERE +kind = ? AND id > ?",
            (kind, after_id),
        )
    upsert = "ON CONFLICT (kind, status) DO UPDATE SET n = n + excluded.n"
    if statuses is None:
        db.execute_sql(
            f"INSERT INTO {COUNTS_TABLE} (kind, status, n) SELECT kind, status, COUNT(*) "
            f"FROM instance WHERE +kind = ? AND id > ? GROUP BY kind, status {upsert}",
            (kind, after_id),
        )
    elif statuses:
        db.cursor().executemany(
            f"INSERT INTO {COUNTS_TABLE} (kind, status, n) VALUES (?, ?, ?) {upsert}",
            [(kind, status, n) for status, n in statuses.items()],
        )


def rebuild(db: pw.Database) -> None:
    """Index every instance afresh (after instances were copied in by other means); SQLite's
    (PostgreSQL's is `pg_search.rebuild`)."""
    db.execute_sql(f"DELETE FROM {COUNTS_TABLE}")
    for kind in DEFINITIONS:
        table = fts_table(kind)
        db.execute_sql(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")
        index_new_rows(db, kind, 0)
