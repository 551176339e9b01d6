"""The table queries return exactly what a full scan of the instance table would, in every order,
filter and search; searching never fails on odd input; writes are reflected at once. Each test
runs on SQLite and on PostgreSQL (the `store` fixture of pg_fixtures)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tui_inventory.store import query as query_module
from tui_inventory.store import search as search_module
from tui_inventory.store.query import SORTS, InventoryQuery, TableQuery
from tui_inventory.store.repo import Store
from tui_inventory.store.search import search_terms
from tui_inventory.tmf.mapping import Mapped

WORDS = (
    "alpha", "alps", "andromeda", "beta", "betzdorf", "carnival", "digicel", "gamma", "gateway",
    "lima", "modem", "modular", "perth", "terminal", "transponder", "ses17", "o3b", "x9", "zulu",
)  # fmt: skip
STATUSES = ("Operational", "Non-Operational", "Pending", "")
TYPES = ("Modem", "Terminal", "Antenna", "CFS", "")
SITES = ("Betzdorf", "Gibraltar", "Perth-North", "Lima", "")
DATES = ("Start Date", "End Date", "Last Update")
OTHER = "Other Fields"


def _mapped(rng: random.Random, key: str, version: int = 0) -> Mapped:
    name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 3)))
    if version:
        name = f"{name} renamed{version}"
    status, type_, site = rng.choice(STATUSES), rng.choice(TYPES), rng.choice(SITES)
    chars: dict[str, Any] = {
        "serial": f"SN-{rng.randint(0, 10**6)}",
        "freq": rng.choice((11450.5, 12000, 14250.25)),
        "flag": rng.choice((True, False, None)),
        "nested": {"beam": rng.choice(WORDS), "list": [rng.randint(0, 99), "deep" + str(version)]},
    }
    fields = {
        "ID": key,
        "Name": name,
        "Status": status,
        "Type": type_,
        "Site": site,
        "Start Date": "2024-05-01T10:00:00Z",
        "Service Characteristics": chars,
        "Supporting Resources": [{"id": f"R{rng.randint(0, 50)}", "name": "hidden"}],
        OTHER: {"secret": "otherword", "more": [rng.choice(WORDS)]},
    }
    return Mapped(key, name, status, type_, site, fields)


def _keys(rng: random.Random, n: int) -> list[str]:
    keys = {f"K{rng.randint(0, 10**7):x}-{i % 7}" for i in range(n)}
    return sorted(keys, key=lambda _: rng.random())


def _load(store: Store, items: list[Mapped], kind: str = "services") -> None:
    for i in range(0, len(items), 700):
        with store.transaction():
            store.store_page(kind, None, items[i : i + 700])


# -- the reference: a plain full scan, filtered, searched and sorted in Python ------------------


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)


def _words(row: dict[str, Any]) -> list[str]:
    fields = {k: v for k, v in json.loads(row["fields"]).items() if k not in (OTHER, *DATES)}
    parts = [row["key"], row["name"], row["status"], row["type"], row["site"], *_leaves(fields)]
    return re.findall(r"[^\W_]+", " ".join(parts).lower())


def _reference(store: Store, q: TableQuery) -> list[str]:
    """The whole table sorted by the database (its collation), filtered in Python."""
    order = "DESC" if q.descending else "ASC"
    cur = store.db.execute_sql(f"SELECT * FROM instance ORDER BY {q.sort} {order}, key {order}")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    rows = [r for r in rows if r["kind"] == q.kind]
    if q.status is not None:
        rows = [r for r in rows if r["status"] == q.status]
    text = q.search or ""
    terms = search_terms(text)
    if terms:
        # every term a whole word, the last one only a word's beginning while still typed (not
        # followed by a space)
        typing = not text[-1].isspace()
        exact, prefix = (terms[:-1], terms[-1]) if typing else (terms, None)

        def hit(words: list[str]) -> bool:
            return set(exact) <= set(words) and (
                prefix is None or any(w.startswith(prefix) for w in words)
            )

        rows = [r for r in rows if hit(_words(r))]
    return [r["key"] for r in rows]


def _random_query(rng: random.Random, keys: list[str], store: Store) -> TableQuery:
    search: str | None = None
    roll = rng.random()
    if roll < 0.3:
        word = rng.choice(WORDS)
        search = word[: rng.randint(1, len(word))]
    elif roll < 0.4:
        search = f"{rng.choice(WORDS)} {rng.choice(SITES)[:3]}"
    elif roll < 0.45:
        search = f"{rng.choice(WORDS)}{rng.choice(' -.')}"  # finished, or typed on (-.)
    elif roll < 0.55:
        search = rng.choice(keys)[: rng.randint(2, 9)]
    elif roll < 0.6:
        search = rng.choice(('"', "*", "AND", "sn-1", "deep", "otherword", "2024", "hidden "))
    return TableQuery(
        "services",
        sort=rng.choice(SORTS),
        descending=rng.random() < 0.5,
        status=rng.choice((None, None, *STATUSES)),
        search=search,
    )


def _check(iq: InventoryQuery, store: Store, q: TableQuery, rng: random.Random) -> None:
    expected = _reference(store, q)
    n = len(expected)
    assert iq.count(q) == n, q
    offsets = {0, max(0, n - 10), n // 2, n, rng.randint(0, max(0, n))}
    for offset in sorted(offsets, key=lambda _: rng.random()):
        limit = rng.randint(1, 40)
        got = [r.key for r in iq.window(q, offset, limit)]
        assert got == expected[offset : offset + limit], (q, offset, limit)
    for key in rng.sample(expected, min(3, n)):
        assert iq.position(q, key) == expected.index(key), (q, key)


@pytest.mark.parametrize(("step", "materialize"), [(2048, 5000), (37, 5000), (37, 10)])
def test_sort_filter_and_search_equal_a_full_scan(
    store: Store, monkeypatch: pytest.MonkeyPatch, step: int, materialize: int
) -> None:
    # small steps put many anchors in play; a small MATERIALIZE reads searches in index order
    monkeypatch.setattr(query_module, "STEP", step)
    monkeypatch.setattr(query_module, "MATERIALIZE", materialize)
    rng = random.Random(7 + step)
    keys = _keys(rng, 3000)
    _load(store, [_mapped(rng, k) for k in keys])
    _load(store, [_mapped(rng, f"C{i}") for i in range(200)], kind="carriers")  # another kind
    iq = InventoryQuery(store)
    for _ in range(30):
        _check(iq, store, _random_query(rng, keys, store), rng)
    # a sync changes a tenth (keys, and so words, stay) and removes a twentieth: same answers
    _load(store, [_mapped(rng, k, version=1) for k in rng.sample(keys, 300)])
    gone = set(rng.sample(keys, 150))
    with store.transaction():
        store.track("services", [k for k in keys if k not in gone])
        assert store.remove_untracked("services", None) == len(gone)
        store.finish_buildup("services")
    keys = [k for k in keys if k not in gone]
    for _ in range(30):
        _check(iq, store, _random_query(rng, keys, store), rng)


def test_scrolling_through_every_row_in_windows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_module, "STEP", 50)
    monkeypatch.setattr(query_module, "MATERIALIZE", 10)
    rng = random.Random(3)
    keys = _keys(rng, 1200)
    _load(store, [_mapped(rng, k) for k in keys])
    iq = InventoryQuery(store)
    for q in (
        TableQuery("services", sort="name"),
        TableQuery("services", sort="site", descending=True),
        TableQuery("services", sort="updated_at", search="a"),
        TableQuery("services", sort="status", status="Pending", search="sn"),
    ):
        expected = _reference(store, q)
        got: list[str] = []
        while len(got) < len(expected):
            got += [r.key for r in iq.window(q, len(got), 23)]
        assert got == expected
        # and back up from the end, as `k` held down would
        back: list[str] = []
        end = len(expected)
        while end > 0:
            start = max(0, end - 17)
            back = [r.key for r in iq.window(q, start, end - start)] + back
            end = start
        assert back == expected


def test_statuses_count_each_status(store: Store) -> None:
    rng = random.Random(5)
    items = [_mapped(rng, k) for k in _keys(rng, 500)]
    _load(store, items)
    iq = InventoryQuery(store)
    expected: dict[str, int] = {}
    for m in items:
        expected[m.status] = expected.get(m.status, 0) + 1
    assert iq.statuses("services") == sorted(expected.items())
    assert iq.statuses("resources") == []


@pytest.mark.parametrize(
    "text",
    ['"', "*", "AND", "OR", "NOT", "NEAR(a b)", 'a"b', "(", ")", "-x", "^", ":", "name:alpha",
     "a*b", "'", "\\", "%", "_", "{x}", "\x00", "\x1b[2J", "🚀", "عربي", " ", "", "a AND", "x OR y"],
)  # fmt: skip
def test_searching_odd_text_never_fails(store: Store, text: str) -> None:
    rng = random.Random(1)
    _load(store, [_mapped(rng, k) for k in _keys(rng, 50)])
    iq = InventoryQuery(store)
    q = TableQuery("services", search=text)
    expected = _reference(store, q)
    assert iq.count(q) == len(expected)
    assert [r.key for r in iq.window(q, 0, 100)] == expected


def test_operator_words_are_searched_as_words(store: Store) -> None:
    items = [
        Mapped("K1", "Andromeda gateway", "Operational", "Modem", "Lima", {"Name": "Andromeda"}),
        Mapped("K2", "Orion near Perth", "Operational", "Modem", "Lima", {"Name": "Orion"}),
        Mapped("K3", "São Paulo teleport", "Operational", "Modem", "Lima", {"Name": "x"}),
    ]
    _load(store, items)
    iq = InventoryQuery(store)
    assert [r.key for r in iq.window(TableQuery("services", search="AND"), 0, 9)] == ["K1"]
    assert [r.key for r in iq.window(TableQuery("services", search="OR"), 0, 9)] == ["K2"]
    assert [r.key for r in iq.window(TableQuery("services", search="near("), 0, 9)] == ["K2"]
    # punctuation typed after a word does not finish it: "Orio'" is on its way to "Orio'n…"
    assert [r.key for r in iq.window(TableQuery("services", search="Orio'"), 0, 9)] == ["K2"]
    assert [r.key for r in iq.window(TableQuery("services", search="Orio "), 0, 9)] == []
    assert [r.key for r in iq.window(TableQuery("services", search="são pau"), 0, 9)] == ["K3"]
    if not store.is_postgres:  # accents fold in SQLite's index: "sao" finds São Paulo
        assert [r.key for r in iq.window(TableQuery("services", search="sao pa"), 0, 9)] == ["K3"]


def test_changes_and_removals_are_reflected_at_once(store: Store) -> None:
    rng = random.Random(11)
    keys = _keys(rng, 400)
    items = [_mapped(rng, k) for k in keys]
    _load(store, items)
    iq = InventoryQuery(store)
    q_all = TableQuery("services", sort="name")
    before = iq.window(q_all, 0, 500)  # warm every cache
    assert iq.count(TableQuery("services", search="renamed1")) == 0
    # rename a few: the new name is found, by search and in the sort order; the old is not
    changed = [_mapped(random.Random(i), k, version=1) for i, k in enumerate(keys[:25])]
    _load(store, changed)
    for q in (
        q_all,
        TableQuery("services", search="renamed1"),
        TableQuery("services", search="deep1"),
    ):
        assert [r.key for r in iq.window(q, 0, 500)] == _reference(store, q)
    assert iq.count(TableQuery("services", search="renamed1")) == 25
    assert iq.count(TableQuery("services", search="deep0")) == len(keys) - 25
    # the cleanup removes every service not Operational: gone from counts, windows and search
    gone = store.remove_non_operational(None)
    assert gone > 0
    for q in (
        q_all,
        TableQuery("services", search="renamed1"),
        TableQuery("services", status="Pending"),
    ):
        assert [r.key for r in iq.window(q, 0, 500)] == _reference(store, q)
    assert iq.count(q_all) == len(before) - gone
    assert dict(iq.statuses("services")).keys() <= {"Operational"}


def test_referenced_by_finds_the_instances_that_point_here(store: Store) -> None:
    res = Mapped("RES-1", "Modem 1", "active", "Modem", "Lima", {"Name": "Modem 1"})
    _load(store, [res], kind="resources")
    svc = Mapped(
        "SVC-1", "Link", "Operational", "CFS", "Lima",
        {"Name": "Link", "Supporting Resources": [{"id": "RES-1", "name": "Modem 1"}]},
    )  # fmt: skip
    near = Mapped(
        "SVC-2", "Other", "Operational", "CFS", "Lima",
        {"Name": "Other", "Supporting Resources": [{"id": "RES-10", "name": "RES-1 lookalike"}]},
    )  # fmt: skip
    _load(store, [svc, near])
    refs = InventoryQuery(store).referenced_by("resources", "RES-1")
    assert [(r.kind, r.key, r.field) for r in refs] == [
        ("services", "SVC-1", "Supporting Resources")
    ]


def test_export_iterates_every_row_of_the_query_in_order(store: Store) -> None:
    rng = random.Random(2)
    _load(store, [_mapped(rng, k) for k in _keys(rng, 900)])
    iq = InventoryQuery(store)
    q = TableQuery("services", sort="type", descending=True, search="a")
    out = list(iq.iter_instances(q, batch=100))
    assert [r.key for r, _ in out] == _reference(store, q)
    assert all(fields["ID"] == r.key for r, fields in out)


BROAD = ("a", "sn", "mod", "gate", "deep", "betz", "perth", "ses17 ", "lima b", "x9")


@pytest.mark.parametrize(
    ("span", "probes", "probe_rows"),
    [(10**9, 10**9, 2000), (0, 10**9, 2000), (0, 0, 2000), (32, 512, 45)],
    ids=["index-ranges", "one-by-one", "collected", "near-known-positions"],
)
def test_broad_searches_show_rows_before_counting_them(
    store: Store, monkeypatch: pytest.MonkeyPatch, span: int, probes: int, probe_rows: int
) -> None:
    # Every search here is broad; the parameters choose how its rows are tested against the
    # index: between their ids, one by one, not at all (collected first), or only near the
    # positions already known (a far window collects the matches).
    monkeypatch.setattr(query_module, "MATERIALIZE", 10)
    monkeypatch.setattr(search_module, "SPAN", span)
    monkeypatch.setattr(query_module, "PROBES", probes)
    monkeypatch.setattr(query_module, "PROBE_ROWS", probe_rows)
    monkeypatch.setattr(query_module, "BLOCK_MAX", 64)
    rng = random.Random(17)
    keys = _keys(rng, 1500)
    _load(store, [_mapped(rng, k) for k in keys])
    _load(store, [_mapped(rng, f"C{i}") for i in range(100)], kind="carriers")

    def check(q: TableQuery) -> None:
        expected = _reference(store, q)
        n = len(expected)
        iq = InventoryQuery(store)  # nothing known: the first rows come before any count
        assert [r.key for r in iq.window(q, 0, 30)] == expected[:30], q
        assert iq.quick_count(q) in (None, n), q
        assert [r.key for r in iq.window(q, 30, 25)] == expected[30:55], q  # scrolling on
        assert iq.count(q) == n, q
        for offset in (max(0, n - 20), n // 2, max(0, n - 45), n // 3):
            got = [r.key for r in iq.window(q, offset, 20)]
            assert got == expected[offset : offset + 20], (q, offset)
        for key in rng.sample(expected, min(3, n)):
            assert iq.position(q, key) == expected.index(key), (q, key)
        back = InventoryQuery(store)  # from the end, once counted, as `G` does
        assert back.count(q) == n
        assert [r.key for r in back.window(q, max(0, n - 30), 30)] == expected[-30:], q

    def queries() -> Iterator[TableQuery]:
        for text in BROAD:
            yield TableQuery("services", search=text)
            yield TableQuery(
                "services",
                sort=rng.choice(SORTS),
                descending=rng.random() < 0.5,
                status=rng.choice((None, *STATUSES)),
                search=text,
            )

    for q in queries():
        check(q)
    # after a sync changed some (new words) and removed others (words the index must forget)
    _load(store, [_mapped(rng, k, version=1) for k in rng.sample(keys, 200)])
    with store.transaction():
        store.track("services", keys[100:])
        store.remove_untracked("services", None)
        store.finish_buildup("services")
    for q in [
        *queries(),
        TableQuery("services", search="renam"),
        TableQuery("services", sort="name", search="deep1 "),
    ]:
        check(q)


def test_a_word_being_typed_finds_every_word_it_begins(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Longer than the prefix indexes: looked up in the index's words, few or many of them.
    monkeypatch.setattr(query_module, "MATERIALIZE", 2)
    words = ["modem", "modems", "modem9", "modemé", "modemzz", "modex", "mode", "mod"]
    items = [
        Mapped(f"K{i}", f"{w} unit", "Operational", "Modem", "Lima", {"Name": w})
        for i, w in enumerate(words * 3)
    ]
    _load(store, items)
    iq = InventoryQuery(store)
    for expand in (8, 2):
        monkeypatch.setattr(search_module, "EXPAND", expand)
        for text in ("mode", "modem", "modems", "modemz", "modeq", "unit mode", "modem "):
            q = TableQuery("services", search=text, sort="name")
            expected = _reference(store, q)
            assert iq.count(q) == len(expected), (text, expand)
            assert [r.key for r in iq.window(q, 0, 100)] == expected, (text, expand)
