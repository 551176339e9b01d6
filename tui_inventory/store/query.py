"""The inventory tables' queries: counts and windows of rows, sorted, filtered and searched.

Only what is on screen is read. A table query is a total order — the sort column, then the key —
over the instances of one kind that pass the status filter and the search. The rows at positions
[offset, offset + limit) are read by seeking on an index from a cached *anchor* (a row whose
position is known) and skipping at most `STEP` rows; anchors every `STEP` rows are found on the
way, from the start or back from the end, whichever is nearer, and kept until the data changes
(the newest revision id tells). Counts come from the counts table (`tui_inventory.store.fts`).

Search: the text is split into terms (runs of letters and digits). An instance matches when each
term is a word of its key, name, status, type, site or of a text or number value of its fields
(characteristic values, descriptions, customers, references; not dates nor "Other Fields") — the
last term only the beginning of a word while it is still being typed (not followed by a space;
see `search.complete`). SQLite answers from the FTS5 index of the kind (`tui_inventory.store.search`);
a search with few matches is then sorted whole, one with many is read in index order like the
whole table. PostgreSQL answers from a GIN index of the same words (`tui_inventory.store.pg_search`):
a search with few matches is sorted whole, one with many read in the sort order's index, each row
tested (the planner's choice), its first screen before its count.

A broad search on SQLite (hundreds of thousands of matches) is not collected before its first
rows are shown: a window near the start, the end or a known position is found by walking the sort
order and testing those rows against the index, a block at a time (`store/seek.py`); its count is
the index's count of matches, read on its own (`quick_count` tells whether a count is cheap).
Only a window far from every known position, a status filter's count, the counts by status or a
position collects every match (in `search_hits`).

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

import json
import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import peewee as pw

from tui_inventory.store import pg_search, search
from tui_inventory.store.fts import COUNTS_TABLE, fts_table
from tui_inventory.store.plan import Plan
from tui_inventory.store.repo import Store
from tui_inventory.store.search import search_terms
from tui_inventory.store.seek import NO_STEP, Seeker
from tui_inventory.store.table_query import Row, TableQuery
from tui_inventory.tmf.definitions import REFS

STEP = 8192  # rows between cached anchors: the most a window read skips over the whole table
MATERIALIZE = 5000  # a search with at most this many matches is sorted whole
PG_STEP = 256  # PostgreSQL: rows a window read skips before it seeks an anchor instead
_MAX_PLANS = 16


@dataclass(frozen=True)
class Reference:
    """An instance whose reference field points at another instance."""

    kind: str
    key: str
    name: str
    field: str


class InventoryQuery(Seeker):
    """Reads the tables' rows for one store; safe to call from several threads at once."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._version: int | None = None
        self._plans: dict[TableQuery, Plan] = {}
        self._statuses: dict[str, list[tuple[str, int]]] = {}
        self._local = threading.local()  # per connection: which search `search_hits` holds

    # -- public -------------------------------------------------------------------------------

    def count(self, q: TableQuery) -> int:
        q = q.normalized()
        with self._read():
            return self._count(q, self._open(q))

    def quick_count(self, q: TableQuery) -> int | None:
        """`count(q)` when it is cheap, or None: a broad search's count reads each of its matches
        (some 25 ms for 600,000), so a table shows its first rows before it."""
        q = q.normalized()
        with self._read():
            plan = self._open(q)
            if plan.count is None and plan.broad and not self._filled(q):
                return None
            return self._count(q, plan)

    def window(self, q: TableQuery, offset: int, limit: int) -> list[Row]:
        """The rows at positions [offset, offset + limit) of `q` (fewer at the end)."""
        q = q.normalized()
        if limit <= 0 or offset < 0:
            return []
        with self._read():
            plan = self._open(q)
            if self._sorted_whole(q, plan):
                ids = self._ids(q, plan)
                return self._rows_by_id(list(ids[offset : offset + limit]))
            if self.sqlite and plan.broad and not self._filled(q):
                rows = self._probe_window(q, plan, offset, limit)
                if rows is not None:
                    return rows
                self._fill(q, plan)
            step = STEP if self.sqlite else PG_STEP
            step = step if q.search is None else NO_STEP  # each search statement costs alike
            return self._keyset_window(q, plan, offset, limit, step)

    def statuses(self, kind: str, search: str | None = None) -> list[tuple[str, int]]:
        """The statuses of `kind` with their instance counts, by status; with `search`, those
        of the search's matches (the statuses it matches none of left out)."""
        q = TableQuery(kind, search=search).normalized()
        with self._read():
            if q.search is None:
                cached = self._statuses.get(kind)
                if cached is None:
                    cached = self._statuses[kind] = self._status_counts(kind)
                return cached
            plan = self._open(q)
            if plan.statuses is None:
                plan.statuses = self._search_status_counts(q, plan)
            return plan.statuses

    def position(self, q: TableQuery, key: str) -> int | None:
        """Where the instance `key` is in `q`, or None when it is not among its rows."""
        q = q.normalized()
        inst = self.inst
        with self._read():
            plan = self._open(q)
            if self.sqlite and plan.broad:
                self._fill(q, plan)  # counting the rows before it takes them all
            found = (
                inst.select(inst.id, getattr(inst, q.sort))
                .where((inst.kind == q.kind) & (inst.key == key))
                .tuples()
                .first()
            )
            if found is None:
                return None
            id_, value = found
            if self._sorted_whole(q, plan):
                ids = self._ids(q, plan)
                return ids.index(id_) if id_ in ids else None
            if not self._passes(q, id_):
                return None
            where = self._where(q) & self._beyond(q, (value, key), later=False)
            return int(inst.select().where(where).count())

    def iter_instances(
        self, q: TableQuery, batch: int = 500
    ) -> Iterator[tuple[Row, dict[str, Any]]]:
        """Every row of `q` in order with its fields (for `store/export.py`), read in batches."""
        offset = 0
        while rows := self.window(q, offset, batch):
            fields = self._fields([r.id for r in rows])
            for r in rows:
                yield r, fields.get(r.id, {})
            offset += len(rows)

    def referenced_by(self, kind: str, key: str, limit: int = 100) -> list[Reference]:
        """Instances whose reference fields point at instance `key` of `kind` (cheap: the search
        index finds the candidates, their fields confirm them)."""
        if not search_terms(key):
            return []
        out: list[Reference] = []
        for d in self.store.definitions().values():
            names = [f.name for f in d.fields if f.type == REFS and f.target == kind]
            if not names:
                continue
            for row, fields in self.iter_instances(TableQuery(d.name, search=key + " ")):
                for name in names:
                    refs = fields.get(name)
                    if isinstance(refs, list) and any(
                        isinstance(r, dict) and r.get("id") == key for r in refs
                    ):
                        out.append(Reference(d.name, row.key, row.name, name))
                        break
                if len(out) >= limit:
                    return out
        return out

    # -- the cache ----------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[None]:
        """A read transaction (one snapshot for all the statements of a call), after dropping
        what was cached if the data changed since (every change writes a revision)."""
        db = self.store.db
        with db.atomic():
            version = db.execute_sql("SELECT MAX(id) FROM revision").fetchone()[0] or 0
            with self._lock:
                if version != self._version:
                    self._plans.clear()
                    self._statuses.clear()
                    self._version = version
            self._local.version = version  # this snapshot's (another thread may be newer)
            yield

    def _plan(self, q: TableQuery) -> Plan:
        with self._lock:
            plan = self._plans.get(q)
            if plan is None:
                if len(self._plans) >= _MAX_PLANS:
                    self._plans.pop(next(iter(self._plans)))
                plan = self._plans[q] = Plan()
            return plan

    def _open(self, q: TableQuery) -> Plan:
        """The query's plan; for a search on SQLite, also its FTS5 query, whether it is broad
        (a few hundred microseconds to tell) and, when it is not, its matches (`_fill`)."""
        plan = self._plan(q)
        if q.search is None:
            return plan
        db = self.store.db
        if not self.sqlite:
            if plan.broad is None:
                plan.broad = pg_search.is_broad(db, q.kind, q.search, MATERIALIZE)
            return plan
        if plan.match is None:
            plan.match = search.fts_query(db, q.kind, q.search)
        if plan.broad is None:
            n = search.count_matches(db, q.kind, plan.match, limit=MATERIALIZE + 1)
            plan.broad = n > MATERIALIZE
        if not plan.broad:
            self._fill(q, plan)
        return plan

    def _fill(self, q: TableQuery, plan: Plan) -> None:
        """Collect the search's matches in this connection's temporary table `search_hits`: the
        index is read once, then each statement looks the matches up there (an `IN (subquery)`
        would read the index again in every statement)."""
        db = self.store.db
        if not self._filled(q):
            self._local.hits = None  # until filled: an interrupted fill must not count
            db.execute_sql("CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY)")
            db.execute_sql("DELETE FROM temp.search_hits")
            table = fts_table(q.kind)
            fill = f"INSERT INTO temp.search_hits SELECT rowid FROM {table} WHERE {table} MATCH ?"
            db.execute_sql(fill, (plan.match,))
            self._local.hits = self._hits_key(q)
            plan.matches = None
        if plan.matches is None:
            plan.matches = db.execute_sql("SELECT COUNT(*) FROM temp.search_hits").fetchone()[0]

    def _hits_key(self, q: TableQuery) -> tuple[Any, ...]:
        return (self._local.version, q.kind, q.search)

    def _filled(self, q: TableQuery) -> bool:
        """Whether `search_hits` holds the matches of `q`'s search (on this connection)."""
        return bool(getattr(self._local, "hits", None) == self._hits_key(q))

    # -- counting -----------------------------------------------------------------------------

    def _status_counts(self, kind: str) -> list[tuple[str, int]]:
        if not self.sqlite:
            return pg_search.status_counts(self.store.db, kind)
        sql = f"SELECT status, n FROM {COUNTS_TABLE} WHERE kind = ? AND n > 0 ORDER BY status"
        return [(s, n) for s, n in self.store.db.execute_sql(sql, (kind,)).fetchall()]

    def _search_status_counts(self, q: TableQuery, plan: Plan) -> list[tuple[str, int]]:
        """A search's matches counted by status: on SQLite from its collected matches (the
        index is read once, some 25 ms for 600,000), the rows looked up by id."""
        if self.sqlite:
            self._fill(q, plan)
        inst = self.inst
        rows = (
            inst.select(inst.status, pw.fn.COUNT(inst.id))
            .where(self._where(q, in_order=False))
            .group_by(inst.status)
            .order_by(inst.status)
            .tuples()
        )
        return [(s, n) for s, n in rows]

    def _sorted_whole(self, q: TableQuery, plan: Plan) -> bool:
        """Whether the query's rows are collected and sorted whole (a search with few matches;
        on either backend), rather than read in index order."""
        return q.search is not None and not plan.broad

    def _count(self, q: TableQuery, plan: Plan) -> int:
        if plan.count is not None:
            return plan.count
        if self._sorted_whole(q, plan):
            plan.count = len(self._ids(q, plan))
        elif q.search is None:
            counts = dict(self._status_counts(q.kind))
            plan.count = counts.get(q.status, 0) if q.status is not None else sum(counts.values())
        elif self.sqlite and q.status is None:
            if plan.matches is None:  # the index counts its matches (no need to collect them)
                assert plan.match is not None  # (`_open` made it)
                plan.matches = search.count_matches(self.store.db, q.kind, plan.match)
            plan.count = plan.matches
        else:
            if self.sqlite:
                self._fill(q, plan)
            plan.count = int(self.inst.select().where(self._where(q)).count())
        return plan.count

    # -- reading ------------------------------------------------------------------------------

    def _ids(self, q: TableQuery, plan: Plan) -> array[int]:
        if plan.ids is None:
            inst = self.inst
            where = self._where(q, in_order=False)
            cur = inst.select(inst.id).where(where).order_by(*self._order(q)).tuples()
            plan.ids = array("q", (i for (i,) in cur))
            plan.count = len(plan.ids)
        return plan.ids

    def _fields(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        inst = self.inst
        rows = inst.select(inst.id, inst.fields).where(inst.id.in_(ids)).tuples()
        return {i: json.loads(f) for i, f in rows}
