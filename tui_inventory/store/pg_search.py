"""PostgreSQL's search index and counts: the same answers as SQLite's FTS5 and `instance_count`.

Search: each instance row keeps `search_vec`, a `tsvector` of the words of its `search_text` —
split, lower-cased and stripped of accents here, in Python, exactly as SQLite's `unicode61`
tokenizer (remove_diacritics 1) does (`words`) — with a GIN index per inventory (a partial index
on `kind`, as SQLite has one FTS5 table per inventory). A search is a `tsquery` of its folded
terms, the last one a prefix (`:*`) while it is being typed (`tsquery`). PostgreSQL's own text
parsers are not used: the `simple` configuration splits "ASTRA-1P" and "12.5" otherwise than
FTS5, and `unaccent` folds "ß" and "æ", which FTS5 keeps; a `tsvector` made from a list of words
(`array_to_tsvector`) holds them as given. (`pg_trgm` was not taken: it matches substrings, so
word and word-start matches would be regular expressions rechecked on every candidate row, and
its index cannot narrow a term of fewer than three letters. At a million resources the GIN index
of words is 220 MB beside a 1.1 GB table; its first screens take milliseconds.)

The page write (`write`) stores the words with the row; whatever copies rows in by other means
calls `rebuild`. Counts: `instance_count` (kind, status, n), kept current by triggers on the
instance table — per statement, over its transition table, for inserts and deletes (a page's
insert is one statement), per row only for an update that changes a status.

The version of what `ensure` creates is `VERSION`, stamped in `meta` as `STAMP` (PostgreSQL only,
so SQLite stores are not touched by a change here).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import peewee as pw

from tui_inventory.store.fts import COUNTS_TABLE
from tui_inventory.store.search import complete, search_terms
from tui_inventory.tmf.definitions import DEFINITIONS

VERSION = "2"
STAMP = "pg_search"
MAX_WORD = 2046  # bytes: a tsvector's lexeme holds at most 2047 (longer words are not indexed)
_FILL_BATCH = 2000


@lru_cache(maxsize=8192)
def _fold_char(c: str) -> str:
    """One character as unicode61 (remove_diacritics 1) indexes it: lower-cased, and a Latin
    letter with one diacritic replaced by its base letter (not "ø", "ł", "ß", nor Greek)."""
    out = []
    for ch in "σ" if c == "ς" else c.lower():
        parts = unicodedata.normalize("NFD", ch)
        if len(parts) == 2 and parts[0].isascii() and unicodedata.category(parts[1]) == "Mn":
            out.append(parts[0])
        elif unicodedata.category(ch) != "Mn":  # ("İ".lower() is "i" and a combining dot)
            out.append(ch)
    return "".join(out)


def fold(word: str) -> str:
    """A search term or a word of the text as the index holds it."""
    if word.isascii():
        return word.lower()
    return "".join(map(_fold_char, word))


def words(text: str) -> list[str]:
    """The distinct words of a search text, as the index holds them."""
    out = {fold(t) for t in search_terms(text)}
    return [w for w in out if len(w.encode()) <= MAX_WORD]


def tsquery(search: str) -> str:
    """The tsquery text for a search (`TableQuery.search`): its folded terms, ANDed, the last one
    a prefix unless complete. Terms hold letters and digits only: no user text becomes syntax."""
    terms = [fold(t) for t in search_terms(search)]
    parts = [f"'{t}'" for t in terms]
    if parts and not complete(search):
        parts[-1] += ":*"
    return " & ".join(parts)


def condition(inst: Any, search: str) -> Any:
    """The peewee condition: the instance matches `search`."""
    return pw.Expression(
        pw.SQL("search_vec"), "@@", pw.NodeList((pw.Value(tsquery(search)), pw.SQL("::tsquery")))
    )


def count_matches(db: pw.Database, kind: str, search: str, limit: int | None = None) -> int:
    """How many instances of `kind` match `search` (counting up to `limit`)."""
    inner = "SELECT 1 FROM instance WHERE kind = %s AND search_vec @@ %s::tsquery"
    params: list[Any] = [kind, tsquery(search)]
    if limit is not None:
        inner += " LIMIT %s"
        params.append(limit)
    return int(db.execute_sql(f"SELECT COUNT(*) FROM ({inner}) AS m", params).fetchone()[0])


def is_broad(db: pw.Database, kind: str, search: str, most: int) -> bool:
    """Whether `search` matches more than `most` instances of `kind`: the planner's estimate
    (from the index's statistics, a millisecond) when above, else counted (up to `most` + 1)."""
    sql = (
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM instance WHERE kind = %s AND search_vec @@ %s::tsquery"
    )
    plan = db.execute_sql(sql, (kind, tsquery(search))).fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    if plan[0]["Plan"]["Plan Rows"] > most:
        return True
    return count_matches(db, kind, search, limit=most + 1) > most


def status_counts(db: pw.Database, kind: str) -> list[tuple[str, int]]:
    sql = f"SELECT status, n FROM {COUNTS_TABLE} WHERE kind = %s AND n > 0 ORDER BY status"
    return [(s, int(n)) for s, n in db.execute_sql(sql, (kind,)).fetchall()]


def kind_counts(db: pw.Database) -> dict[str, int]:
    sql = f"SELECT kind, SUM(n) FROM {COUNTS_TABLE} GROUP BY kind"
    return {k: int(n) for k, n in db.execute_sql(sql).fetchall()}


# -- writing ----------------------------------------------------------------------------------

_INSERT = (
    'INSERT INTO instance (kind, "key", name, status, "type", site, fields, digest, '
    "created_at, updated_at, search_text, search_vec) VALUES %s"
)
_INSERT_ROW = "(" + ", ".join(["%s"] * 11) + ", array_to_tsvector(%s::text[]))"
_UPDATE = (
    'UPDATE instance SET name = %s, status = %s, "type" = %s, site = %s, fields = %s, '
    "digest = %s, updated_at = %s, search_text = %s, search_vec = array_to_tsvector(%s::text[]) "
    "WHERE id = %s"
)


def write(
    db: pw.Database, inserts: Sequence[tuple[Any, ...]], updates: Sequence[tuple[Any, ...]]
) -> None:
    """The page write's inserts (kind, key, …, search_text) and updates (name, …, search_text,
    id), each row with its words: the inserts in one statement (the counts' trigger runs once)."""
    from psycopg2.extras import execute_batch, execute_values

    cursor = db.cursor()
    if inserts:
        rows = [(*r, words(r[10])) for r in inserts]
        execute_values(cursor, _INSERT, rows, template=_INSERT_ROW, page_size=len(rows))
    if updates:
        rows = [(*r[:8], words(r[7]), r[8]) for r in updates]
        execute_batch(cursor, _UPDATE, rows, page_size=100)


# -- the schema -------------------------------------------------------------------------------

_FUNCTIONS = {
    "tui_count_inserted": f"""
        INSERT INTO {COUNTS_TABLE} AS c (kind, status, n)
        SELECT kind, status, COUNT(*) FROM new_rows GROUP BY kind, status
        ON CONFLICT (kind, status) DO UPDATE SET n = c.n + excluded.n""",
    "tui_count_deleted": f"""
        INSERT INTO {COUNTS_TABLE} AS c (kind, status, n)
        SELECT kind, status, -COUNT(*) FROM old_rows GROUP BY kind, status
        ON CONFLICT (kind, status) DO UPDATE SET n = c.n + excluded.n""",
    "tui_count_updated": f"""
        UPDATE {COUNTS_TABLE} SET n = n - 1 WHERE kind = OLD.kind AND status = OLD.status;
        INSERT INTO {COUNTS_TABLE} AS c (kind, status, n) VALUES (NEW.kind, NEW.status, 1)
        ON CONFLICT (kind, status) DO UPDATE SET n = c.n + 1""",
}
_TRIGGERS = {
    "instance_count_ai": "AFTER INSERT ON instance REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tui_count_inserted()",
    "instance_count_ad": "AFTER DELETE ON instance REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tui_count_deleted()",
    "instance_count_au": "AFTER UPDATE OF kind, status ON instance FOR EACH ROW "
    "WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.status IS DISTINCT FROM NEW.status) "
    "EXECUTE FUNCTION tui_count_updated()",
}


def index_name(kind: str) -> str:
    if kind not in DEFINITIONS:
        raise ValueError(f"unknown inventory {kind!r}")
    return f"instance_search_{kind}"


def ensure(db: pw.Database) -> None:
    """Create (idempotently) the search column, its indexes, the counts and their triggers; fill
    what is missing. Call inside the schema transaction, after the tables exist."""
    db.execute_sql("ALTER TABLE instance ADD COLUMN IF NOT EXISTS search_vec tsvector")
    created = not db.table_exists(COUNTS_TABLE)
    db.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {COUNTS_TABLE} (kind TEXT NOT NULL, status TEXT NOT NULL, "
        "n BIGINT NOT NULL, PRIMARY KEY (kind, status))"
    )
    for name, body in _FUNCTIONS.items():
        db.execute_sql(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {body}; RETURN NULL; END $$"
        )
    for name, body in _TRIGGERS.items():
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON instance")
        db.execute_sql(f"CREATE TRIGGER {name} {body}")
    if fill(db) or created:
        recount(db)
    create_indexes(db)


# The whole table's sort orders, one narrow index per inventory: skipping to a position reads
# an index-only scan 2.5x faster than on (kind, column, key), which also holds and tests the kind
# (500,000 rows skipped: 38 ms against 100 ms). They replace the models' (kind, column, key).
SORT_COLUMNS = ("key", "name", "type", "site", "updated_at")
REPLACED = tuple(f"instance_kind_{c}_key" for c in SORT_COLUMNS[1:])


def create_indexes(db: pw.Database) -> None:
    for kind in DEFINITIONS:
        db.execute_sql(
            f"CREATE INDEX IF NOT EXISTS {index_name(kind)} ON instance "
            f"USING gin (search_vec) WHERE kind = '{kind}'"
        )
        for column in SORT_COLUMNS:
            cols = '"key"' if column == "key" else f'"{column}", "key"'
            db.execute_sql(
                f"CREATE INDEX IF NOT EXISTS instance_{kind}_{column} ON instance ({cols}) "
                f"WHERE kind = '{kind}'"
            )
    for name in REPLACED:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")


def fill(db: pw.Database) -> int:
    """Give every row without its words (rows stored before, or copied in) its words."""
    from psycopg2.extras import execute_values

    done = 0
    last = 0
    while True:
        rows = db.execute_sql(
            "SELECT id, search_text FROM instance WHERE id > %s AND search_vec IS NULL "
            "ORDER BY id LIMIT %s",
            (last, _FILL_BATCH),
        ).fetchall()
        if not rows:
            return done
        execute_values(
            db.cursor(),
            "UPDATE instance SET search_vec = array_to_tsvector(v.w) "
            "FROM (VALUES %s) AS v (id, w) WHERE instance.id = v.id",
            [(id_, words(text)) for id_, text in rows],
            template="(%s, %s::text[])",
            page_size=len(rows),
        )
        done += len(rows)
        last = rows[-1][0]


def recount(db: pw.Database) -> None:
    """The counts table afresh from the instance table."""
    db.execute_sql(f"DELETE FROM {COUNTS_TABLE}")
    db.execute_sql(
        f"INSERT INTO {COUNTS_TABLE} (kind, status, n) "
        "SELECT kind, status, COUNT(*) FROM instance GROUP BY kind, status"
    )


def rebuild(db: pw.Database) -> None:
    """After rows were copied in by other means: their words and the counts."""
    fill(db)
    recount(db)
