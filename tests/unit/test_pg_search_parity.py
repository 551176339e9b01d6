"""Search on PostgreSQL (a GIN index of words, `store.pg_search`) finds exactly what SQLite's FTS5
finds for the same data and the same typing: words, prefixes, punctuation, accents, numbers, with
status filters and every sort; and its counts (table, filters, search) agree."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tui_inventory.store import pg_search
from tui_inventory.store import query as query_module
from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import SORTS, TableQuery
from tui_inventory.tmf.mapping import Mapped

NAMES = (
    "São Paulo gateway", "Sao Paulo backup", "Café Müller", "cafe mueller", "Straße 12",
    "ØRSTED Ærø", "O'Brien & Sons", "ASTRA-1P beam", "SES-17/B", "İzmir teleport",
    "Łódź hub", "naïve naive", "x² modem", "12.5 GHz", "11450.5 MHz", "modem modular",
    "Modems of Perth", "perth-north", "ǖ tone", "Σίσυφος", "日本語", "ﬁne ｆｕｌｌ",
)  # fmt: skip
STATUSES = ("Operational", "Non-Operational", "Pending")
SEARCHES = (
    "são", "sao", "sao ", "São Paulo ", "sa", "s", "caf", "café ", "muller", "müll", "mueller",
    "straße", "strasse", "ørsted", "orsted", "ærø ", "o'", "O'Brien ", "o'b", "brien", "ASTRA-",
    "astra-1", "astra 1p ", "1p", "SES-17/", "ses 17 b ", "izmir", "İzmir ", "lodz", "łódź",
    "naive ", "naïv", "x²", "x2", "12", "12.5", "12.5 ", "5 ghz", "11450", "11450.5 ", "modem",
    "modem ", "modems", "mod", "perth", "perth-n", "ǖ", "σίσυφος ", "σισυφοσ", "日本語",
    "ﬁne", "fine", "ｆｕｌｌ", "full", "nothing-like-it", "operational", "non-op", "pending ",
    "RES-0001", "res 00", "deep7 ",
)  # fmt: skip


def _instances(n: int) -> list[Mapped]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        key = f"RES-{i:04d}"
        name = f"{rng.choice(NAMES)} {rng.choice(NAMES)}"
        status = rng.choice(STATUSES)
        type_, site = rng.choice(("Modem", "Terminal")), rng.choice(("Perth", "Łódź", "Lima"))
        fields: dict[str, Any] = {
            "ID": key,
            "Name": name,
            "Status": status,
            "Resource Characteristics": {
                "freq": rng.choice((12.5, 11450.5, 7)),
                "n": f"deep{i % 9}",
            },
            "Start Date": "2024-05-01T10:00:00Z",
            "Other Fields": {"hidden": "otherword"},
        }
        out.append(Mapped(key, name, status, type_, site, fields))
    return out


@pytest.fixture
def both(tmp_path: Path, new_postgres_database: Callable[[], str]) -> Iterator[tuple[Store, Store]]:
    lite, pg = Store(str(tmp_path / "lite.db")), Store(new_postgres_database())
    try:
        items = _instances(300)
        for s in (lite, pg):
            with s.transaction():
                s.store_page("resources", None, items[:200])
            with s.transaction():  # changes: the index and counts follow an update
                changed = [m._replace(status="Pending") for m in items[150:250]]
                s.store_page("resources", None, changed)
            with s.transaction():
                s.m.instance.delete().where(s.m.instance.key << ["RES-0003", "RES-0160"]).execute()
        yield lite, pg
    finally:
        lite.close()
        pg.close()


def _read(iq: InventoryQuery, q: TableQuery) -> tuple[Any, ...]:
    rows = [r.key for r in iq.window(q, 0, 400)]
    end = [r.key for r in iq.window(q, max(0, iq.count(q) - 7), 7)]
    return iq.count(q), rows, end


@pytest.mark.postgresql
@pytest.mark.parametrize("materialize", [5000, 3])  # sorted whole, and read in index order
def test_postgresql_finds_what_sqlite_finds(
    both: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch, materialize: int
) -> None:
    monkeypatch.setattr(query_module, "MATERIALIZE", materialize)
    lite, pg = both
    a, b = InventoryQuery(lite), InventoryQuery(pg)
    assert a.statuses("resources") == b.statuses("resources")
    assert a.count(TableQuery("resources")) == b.count(TableQuery("resources")) == 248
    found = 0
    for text in SEARCHES:
        assert a.statuses("resources", text) == b.statuses("resources", text), text
        for sort in SORTS:
            for status in (None, "Pending"):
                q = TableQuery("resources", sort, sort == "name", status, text)
                expected = _read(a, q)
                assert _read(b, q) == expected, (text, sort, status)
                found += expected[0] > 0
    assert found > len(SEARCHES) * len(SORTS)  # most searches find something


def test_the_words_indexed_are_sqlite_fts5_tokens() -> None:
    """`pg_search.words` splits, lower-cases and strips accents as FTS5's unicode61 does."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, row)")
    for i, text in enumerate(NAMES):
        db.execute("INSERT INTO t (rowid, body) VALUES (?, ?)", (i, text))
    expected = {w for (w,) in db.execute("SELECT term FROM v")}
    assert {w for text in NAMES for w in pg_search.words(text)} == expected


def test_a_search_is_never_tsquery_syntax() -> None:
    for text in ("a & b", "!x", "'quoted'", "a:* b", "(c | d)", "\\", "<->"):
        assert all(c.isalnum() or c in " &':*" for c in pg_search.tsquery(text))
