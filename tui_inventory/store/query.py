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
order and testing those rows against the index, a block at a time (`_probe_window`); its count is
the index's count of matches, read on its own (`quick_count` tells whether a count is cheap).
Only a window far from every known position, a status filter's count, the counts by status or a
position collects every match (in `search_hits`).

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

import bisect
import csv
import json
import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import peewee as pw

from tui_inventory.errors import StoreError
from tui_inventory.files import write_text
from tui_inventory.store import pg_search, search
from tui_inventory.store.fts import COUNTS_TABLE, fts_table
from tui_inventory.store.repo import Store
from tui_inventory.store.search import complete, search_terms
from tui_inventory.tmf.definitions import REFS

SORTS: tuple[str, ...] = ("key", "name", "status", "type", "site", "updated_at")
STEP = 8192  # rows between cached anchors: the most a window read skips over the whole table
MATERIALIZE = 5000  # a search with at most this many matches is sorted whole
PROBE_ROWS = 2000  # a broad search's window this near a known position is found by testing...
PROBES = 512  # ...rows of the sort order against the index, at most this many one by one,
BLOCK_MAX = 4096  # and at most this many at once
PG_STEP = 256  # PostgreSQL: rows a window read skips before it seeks an anchor instead
_MAX_ANCHORS = 20_000
_MAX_PLANS = 16
_NO_STEP = 1 << 62


@dataclass(frozen=True)
class Row:
    id: int
    key: str
    name: str
    status: str
    type: str
    site: str
    updated_at: str


@dataclass(frozen=True)
class TableQuery:
    kind: str
    sort: str = "key"  # one of SORTS
    descending: bool = False
    status: str | None = None
    search: str | None = None

    def normalized(self) -> TableQuery:
        """The same query with its search in canonical form (None when it has no terms)."""
        if self.sort not in SORTS:
            raise ValueError(f"cannot sort by {self.sort!r}")
        text = self.search or ""
        terms = search_terms(text)
        search = (" ".join(terms) + (" " if complete(text) else "")) if terms else None
        return self if search == self.search else replace(self, search=search)


@dataclass(frozen=True)
class Reference:
    """An instance whose reference field points at another instance."""

    kind: str
    key: str
    name: str
    field: str


class _Plan:
    """What is known of one query at one data version: count, anchors, a search's ids."""

    def __init__(self) -> None:
        self.count: int | None = None
        self.matches: int | None = None  # a search's matches in the kind, status aside
        self.match: str | None = None  # SQLite: the search's FTS5 query
        self.broad: bool | None = None  # SQLite: whether it has more than MATERIALIZE matches
        self.ids: array[int] | None = None  # a small search's matching ids, in order
        self.statuses: list[tuple[str, int]] | None = None  # a search's matches by status
        self.anchors: dict[int, tuple[Any, str]] = {}  # position -> (sort value, key)
        self.positions: list[int] = []  # sorted keys of `anchors`
        self.statements: dict[tuple[bool, bool, str], tuple[str, list[Any]]] = {}

    def remember(self, pos: int, value: Any, key: str) -> None:
        if pos in self.anchors:
            return
        if len(self.positions) >= _MAX_ANCHORS:
            self.anchors.clear()
            self.positions.clear()
        self.anchors[pos] = (value, key)
        bisect.insort(self.positions, pos)


class InventoryQuery:
    """Reads the tables' rows for one store; safe to call from several threads at once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.inst = store.m.instance
        self.sqlite = not store.is_postgres
        self._lock = threading.Lock()
        self._version: int | None = None
        self._plans: dict[TableQuery, _Plan] = {}
        self._statuses: dict[str, list[tuple[str, int]]] = {}
        self._local = threading.local()  # per connection: which search `search_hits` holds
        self._by_id: str | None = None  # the SQL of `_rows_by_id`

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
            step = step if q.search is None else _NO_STEP  # each search statement costs alike
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
        """Every row of `q` in order with its fields (for export), read in batches."""
        offset = 0
        while rows := self.window(q, offset, batch):
            fields = self._fields([r.id for r in rows])
            for r in rows:
                yield r, fields.get(r.id, {})
            offset += len(rows)

    def export(self, q: TableQuery, path: Path) -> int:
        """Write every row of `q` to `path`: JSON (a list of objects as `tui-inventory export`
        writes them) when it ends in .json, else CSV with a column per field. Returns the count."""
        names = [f.name for f in self.store.definitions()[q.kind].fields]
        n = 0
        try:
            with write_text(path, newline="") as out:
                as_json = path.suffix.lower() == ".json"
                writer = csv.writer(out)
                if as_json:
                    out.write("[")
                else:
                    writer.writerow(["id", "name", "status", "type", "site", "updated_at", *names])
                for row, fields in self.iter_instances(q):
                    head = [row.key, row.name, row.status, row.type, row.site, row.updated_at]
                    if as_json:
                        item = dict(zip(("id", *SORTS[1:]), head, strict=True), fields=fields)
                        out.write(",\n"[n == 0 :] + json.dumps(item, ensure_ascii=False))
                    else:
                        writer.writerow(head + [_csv_cell(fields.get(f)) for f in names])
                    n += 1
                if as_json:
                    out.write("\n]\n")
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        return n

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

    def _plan(self, q: TableQuery) -> _Plan:
        with self._lock:
            plan = self._plans.get(q)
            if plan is None:
                if len(self._plans) >= _MAX_PLANS:
                    self._plans.pop(next(iter(self._plans)))
                plan = self._plans[q] = _Plan()
            return plan

    def _open(self, q: TableQuery) -> _Plan:
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

    def _fill(self, q: TableQuery, plan: _Plan) -> None:
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

    # -- conditions ---------------------------------------------------------------------------

    def _where(self, q: TableQuery, *, in_order: bool = True, search: bool = True) -> Any:
        """The query's condition (without the search unless `search`). `in_order`: read an index
        in the sort order and check the search row by row; else let the search's matches drive
        (a unary `+` keeps SQLite from using an index on the column it prefixes)."""
        inst = self.inst
        kind, status = inst.kind, inst.status
        if not in_order and self.sqlite:
            kind, status = _plus(kind), _plus(status)
        where = kind == q.kind
        if q.status is not None:
            where &= status == q.status
        if search and q.search is not None:
            where &= self._matches(q, in_order=in_order)
        return where

    def _matches(self, q: TableQuery, *, in_order: bool) -> Any:
        """The search condition: the one place where the backends differ."""
        assert q.search is not None
        inst = self.inst
        if not self.sqlite:  # the words of the same text, in a GIN index
            return pg_search.condition(inst, q.search)
        hits = pw.SQL("(SELECT id FROM temp.search_hits)")  # see `_fill`
        return pw.Expression(_plus(inst.id) if in_order else inst.id, pw.OP.IN, hits)

    def _passes(self, q: TableQuery, id_: int) -> bool:
        """Whether the instance `id_` (of the query's kind) passes its filter and search."""
        inst = self.inst
        if q.search is None or not self.sqlite:
            return bool(inst.select().where(self._where(q) & (inst.id == id_)).exists())
        if q.status is not None:
            where = (inst.id == id_) & (inst.status == q.status)
            if not inst.select().where(where).exists():
                return False
        sql = "SELECT 1 FROM temp.search_hits WHERE id = ?"
        return self.store.db.execute_sql(sql, (id_,)).fetchone() is not None

    def _beyond(self, q: TableQuery, anchor: tuple[Any, str], *, later: bool) -> Any:
        """Rows after (`later`) or before `anchor` in the query's order."""
        greater = later != q.descending
        key = self.inst.key
        if q.sort == "key":
            return key > anchor[1] if greater else key < anchor[1]
        pair, bound = pw.Tuple(getattr(self.inst, q.sort), key), pw.Tuple(*anchor)
        return pair > bound if greater else pair < bound

    def _order(self, q: TableQuery, *, reverse: bool = False) -> list[Any]:
        key = self.inst.key
        cols = [key] if q.sort == "key" else [getattr(self.inst, q.sort), key]
        return [c.desc() if q.descending != reverse else c.asc() for c in cols]

    # -- counting -----------------------------------------------------------------------------

    def _status_counts(self, kind: str) -> list[tuple[str, int]]:
        if not self.sqlite:
            return pg_search.status_counts(self.store.db, kind)
        sql = f"SELECT status, n FROM {COUNTS_TABLE} WHERE kind = ? AND n > 0 ORDER BY status"
        return [(s, n) for s, n in self.store.db.execute_sql(sql, (kind,)).fetchall()]

    def _search_status_counts(self, q: TableQuery, plan: _Plan) -> list[tuple[str, int]]:
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

    def _sorted_whole(self, q: TableQuery, plan: _Plan) -> bool:
        """Whether the query's rows are collected and sorted whole (a search with few matches;
        on either backend), rather than read in index order."""
        return q.search is not None and not plan.broad

    def _count(self, q: TableQuery, plan: _Plan) -> int:
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

    def _row_columns(self) -> tuple[Any, ...]:
        inst = self.inst
        return (inst.id, inst.key, inst.name, inst.status, inst.type, inst.site, inst.updated_at)

    def _ids(self, q: TableQuery, plan: _Plan) -> array[int]:
        if plan.ids is None:
            inst = self.inst
            where = self._where(q, in_order=False)
            cur = inst.select(inst.id).where(where).order_by(*self._order(q)).tuples()
            plan.ids = array("q", (i for (i,) in cur))
            plan.count = len(plan.ids)
        return plan.ids

    def _rows_by_id(self, ids: list[int]) -> list[Row]:
        if not ids:
            return []
        inst = self.inst
        if self.sqlite:  # one statement for any number of ids, built once
            if self._by_id is None:
                listed = pw.SQL("(SELECT value FROM json_each(?))", ["ids"])
                select = inst.select(*self._row_columns())
                self._by_id = select.where(pw.Expression(inst.id, pw.OP.IN, listed)).sql()[0]
            rows = self.store.db.execute_sql(self._by_id, (json.dumps(ids),)).fetchall()
        else:
            rows = inst.select(*self._row_columns()).where(inst.id.in_(ids)).tuples()
        found = {r[0]: Row(*r) for r in rows}
        return [found[i] for i in ids if i in found]

    def _fields(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        inst = self.inst
        rows = inst.select(inst.id, inst.fields).where(inst.id.in_(ids)).tuples()
        return {i: json.loads(f) for i, f in rows}

    def _statement(
        self, q: TableQuery, plan: _Plan, *, anchored: bool, reverse: bool, read: str
    ) -> tuple[str, list[Any]]:
        """The SQL of a seek (built once per query: peewee's building costs more than the
        statement) and its parameters before the anchor's, the limit and the offset. It reads
        `read`: "rows" (a `Row`'s columns), "anchor" (the sort value and key) or "candidates"
        (the id, sort value and key of every row the search aside)."""
        shape = (anchored, reverse, read)
        cached = plan.statements.get(shape)
        if cached is None:
            inst = self.inst
            sort = getattr(inst, q.sort)
            cols = {
                "rows": self._row_columns(),
                "anchor": (sort, inst.key),
                "candidates": (inst.id, sort, inst.key),
            }[read]
            where = self._where(q, search=read != "candidates")
            bound = ("", "")
            if anchored:
                where &= self._beyond(q, bound, later=not reverse)
            order = self._order(q, reverse=reverse)
            sql, params = inst.select(*cols).where(where).order_by(*order).limit(1).offset(1).sql()
            extra = (1 if q.sort == "key" else 2) if anchored else 0
            cached = plan.statements[shape] = (sql, params[: len(params) - extra - 2])
        return cached

    def _seek(
        self,
        q: TableQuery,
        plan: _Plan,
        anchor: tuple[Any, str] | None,
        *,
        reverse: bool,
        skip: int,
        limit: int,
        read: str,
    ) -> list[tuple[Any, ...]]:
        """Rows after (or, `reverse`, before) `anchor` — from the start (or end) when None —
        skipping `skip`, in reading order."""
        sql, params = self._statement(
            q, plan, anchored=anchor is not None, reverse=reverse, read=read
        )
        bound = [] if anchor is None else [anchor[1]] if q.sort == "key" else list(anchor)
        return list(self.store.db.execute_sql(sql, [*params, *bound, limit, skip]).fetchall())

    def _base(
        self, plan: _Plan, offset: int, last: int, total: int | None
    ) -> tuple[bool, int, int, tuple[Any, str] | None]:
        """Where to read [offset, last) from: (reverse, skip, base position, its anchor). The
        nearest base: an anchor before the window (or the start, -1), read forward; or one at or
        after its end (or the end, `total`, when known), read backward."""
        with self._lock:
            i = bisect.bisect_left(plan.positions, offset)
            fwd = plan.positions[i - 1] if i else -1
            j = bisect.bisect_left(plan.positions, last)
            back = plan.positions[j] if j < len(plan.positions) else total
            fwd_skip = offset - fwd - 1
            back_skip = back - last if back is not None else _NO_STEP
            reverse = back_skip < fwd_skip
            skip, base = (back_skip, back) if reverse else (fwd_skip, fwd)
            assert base is not None
            return reverse, skip, base, plan.anchors.get(base)

    def _probe_window(
        self, q: TableQuery, plan: _Plan, offset: int, limit: int
    ) -> list[Row] | None:
        """A broad search's rows at [offset, offset + limit), found without collecting its
        matches: the rows of the sort order from the nearest known position are tested against
        the index until enough match (`_probe`). None when the window is too far from every known
        position or too few of the rows tested match: then `search_hits` serves."""
        total = plan.count
        if total is not None:
            if offset >= total:
                return []
            limit = min(limit, total - offset)
        reverse, skip, base, anchor = self._base(plan, offset, offset + limit, total)
        want = skip + limit
        if want > PROBE_ROWS:
            return None
        found = self._probe(q, plan, anchor, reverse=reverse, want=want)
        if found is None:
            return None
        step = -1 if reverse else 1
        with self._lock:
            if len(found) < want and not reverse and plan.count is None:
                plan.count = base + 1 + len(found)  # the walk reached the end
            for n in {skip, len(found) - 1, min(want, len(found)) - 1}:
                if 0 <= n < len(found):
                    plan.remember(base + step * (n + 1), found[n][1], found[n][2])
        window = found[skip:want]
        if reverse:
            window.reverse()
        return self._rows_by_id([r[0] for r in window])

    def _probe(
        self,
        q: TableQuery,
        plan: _Plan,
        anchor: tuple[Any, str] | None,
        *,
        reverse: bool,
        want: int,
    ) -> list[tuple[Any, ...]] | None:
        """The first `want` matches (id, sort value, key) after (`reverse`: before) `anchor`, in
        reading order, or all up to the end: rows of the sort order are read a block at a time
        (doubling) and tested against the index (`search.matching`). None when more than PROBES
        would be tested one by one."""
        found: list[tuple[Any, ...]] = []
        budget = PROBES
        size = max(64, min(2 * want, BLOCK_MAX))
        while len(found) < want:
            rows = self._seek(
                q, plan, anchor, reverse=reverse, skip=0, limit=size, read="candidates"
            )
            if not rows:
                break
            assert plan.match is not None
            tested = search.matching(
                self.store.db, q.kind, plan.match, [r[0] for r in rows], budget
            )
            if tested is None:
                return None
            matched, probed = tested
            budget -= probed
            found += [r for r in rows if r[0] in matched]
            if len(rows) < size:
                break
            anchor = (rows[-1][1], rows[-1][2])
            size = min(2 * size, BLOCK_MAX)
        return found

    def _keyset_window(
        self, q: TableQuery, plan: _Plan, offset: int, limit: int, step: int
    ) -> list[Row]:
        # PostgreSQL reads a window near the start before the count (a broad search's is slow).
        early = not self.sqlite and plan.count is None and offset + limit <= PROBE_ROWS
        total = None if early else self._count(q, plan)
        if total is not None:
            if offset >= total:
                return []
            limit = min(limit, total - offset)
        last = offset + limit  # one past the window
        while True:
            reverse, skip, base, anchor = self._base(plan, offset, last, total)
            if skip <= step:
                break
            # Too far from any anchor: find the next one towards the window and remember it
            # (PostgreSQL: the window's own, in one seek skipping over an index-only scan).
            hop = step if self.sqlite else skip
            found = self._seek(
                q, plan, anchor, reverse=reverse, skip=hop - 1, limit=1, read="anchor"
            )
            if not found:  # cannot happen within one snapshot; never loop forever
                break
            with self._lock:
                plan.remember(base - hop if reverse else base + hop, *found[0])
        rows = self._seek(q, plan, anchor, reverse=reverse, skip=skip, limit=limit, read="rows")
        if reverse:
            rows.reverse()
        if rows:
            col = SORTS.index(q.sort) + 1  # a row's columns follow SORTS after the id
            with self._lock:
                plan.remember(offset, rows[0][col], rows[0][1])
                plan.remember(offset + len(rows) - 1, rows[-1][col], rows[-1][1])
        return [Row(*r) for r in rows]


def _plus(column: Any) -> Any:
    """`+column`: SQLite then uses no index on the column (see `_where`)."""
    return pw.NodeList((pw.SQL("+"), column), glue="")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
