"""What a search's text means, and how an inventory's FTS5 index (SQLite) answers it.

The text is split into terms (runs of letters and digits); an instance matches when each term is a
word of its indexed text (`tui_inventory.store.fts`), the last term only the beginning of a word
while it is still being typed (not followed by a space or other separator).

FTS5 answers a word's beginning of up to `PREFIXES` letters from a prefix index; a longer one it
answers by merging the lists of all the words it begins, at every statement (100 ms for "modem*"
at 600,000 matches, and again for each row tested against it). So such a beginning is looked up in
the index's vocabulary first and searched as the words it begins, when they are few (`fts_query`).
Rows are tested against the index a block at a time (`matching`).
"""

from __future__ import annotations

import json
import re

import peewee as pw

from tui_inventory.store.fts import fts_table

PREFIXES = 3  # the index's longest prefix index (`prefix='1 2 3'`)
EXPAND = 8  # a word being typed is searched as the words it begins when there are at most this many
SPAN = 32  # rows lie close together when their ids span at most this many per row
_TERM = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[str]:
    """The search terms of what the user typed: its runs of letters and digits, lower-cased."""
    return [t.lower() for t in _TERM.findall(text)]


def complete(text: str) -> bool:
    """Whether the last term of `text` is finished: a space follows it. Punctuation does not
    finish it — "O'" is the beginning of "O'Brien" (the words "o" and "brien"), "ASTRA-" of
    "ASTRA-1P" — so a search does not empty itself while such a name is being typed."""
    return bool(text) and text[-1].isspace()


def fts_match(text: str) -> str:
    """The FTS5 query for a search: each term quoted, the last a prefix while being typed. Terms
    hold letters and digits only, so no user text becomes FTS5 syntax (`"`, `*`, `AND`, `NEAR(`)."""
    terms = [f'"{t}"' for t in search_terms(text)]
    if terms and not complete(text):
        terms[-1] += "*"
    return " AND ".join(terms)


def fts_query(db: pw.Database, kind: str, text: str) -> str:
    """`fts_match(text)`, with a word being typed longer than the prefix indexes replaced by the
    words of `kind`'s index it begins, when there are at most EXPAND (see the module docstring)."""
    match = fts_match(text)
    terms = search_terms(text)
    if not terms or complete(text):
        return match
    word = terms[-1]
    if len(word) <= PREFIXES or not word.isascii():  # (ASCII: the tokenizer keeps it as it is)
        return match
    table = fts_table(kind)
    vocab = f"{table}_vocab"
    db.execute_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab} USING fts5vocab(main, {table}, row)"
    )
    # The word itself, and the longer words it begins: from word + "0" on in the index's byte
    # order, as the tokenizer's words are of letters and digits (and "0" is the least of them).
    # The vocabulary reads the list of each word it passes (to count its rows): starting past
    # the word itself spares reading its list (15 ms for "modem").
    sql = f"SELECT term FROM temp.{vocab} WHERE term >= ? AND term < ? LIMIT ?"
    after = word[:-1] + chr(ord(word[-1]) + 1)
    words = [word, *(w for (w,) in db.execute_sql(sql, (word + "0", after, EXPAND)))]
    if len(words) > EXPAND:
        return match
    begun = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    return " AND ".join([*(f'"{t}"' for t in terms[:-1]), f"({begun})"])


def count_matches(db: pw.Database, kind: str, match: str, limit: int | None = None) -> int:
    """How many instances of `kind` match the FTS5 query `match` (counting up to `limit`)."""
    table = fts_table(kind)
    select = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"
    if limit is None:
        return int(db.execute_sql(f"SELECT COUNT(*) FROM ({select})", (match,)).fetchone()[0])
    sql = f"SELECT COUNT(*) FROM ({select} LIMIT ?)"
    return int(db.execute_sql(sql, (match, limit)).fetchone()[0])


def matching(
    db: pw.Database, kind: str, match: str, ids: list[int], budget: int
) -> tuple[set[int], int] | None:
    """Which of the instances `ids` (of `kind`) match `match`, and how many of them were looked
    up one by one: when they lie close together (rows read in key order often do), the index is
    read once between their smallest and largest id; else each is looked up (tens of
    microseconds each). None when that would be more than `budget`."""
    table = fts_table(kind)
    lo, hi = min(ids), max(ids)
    if hi - lo < SPAN * len(ids):
        sql = (
            "SELECT j.value FROM json_each(?) AS j WHERE j.value IN "
            f"(SELECT rowid FROM {table} WHERE {table} MATCH ? AND rowid BETWEEN ? AND ?)"
        )
        rows = db.execute_sql(sql, (json.dumps(ids), match, lo, hi))
        return {i for (i,) in rows}, 0
    if len(ids) > budget:
        return None
    sql = (
        "SELECT j.value FROM json_each(?) AS j WHERE EXISTS "
        f"(SELECT 1 FROM {table} WHERE {table} MATCH ? AND rowid = j.value)"
    )
    rows = db.execute_sql(sql, (json.dumps(ids), match))
    return {i for (i,) in rows}, len(ids)
