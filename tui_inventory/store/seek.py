"""A table query's SQL (its conditions and order) and the seeks that read its windows: keyset
reads from the nearest cached anchor, and a broad search's probes (docs/architecture.md §7)."""

from __future__ import annotations

import bisect
import json
import threading
from typing import Any

import peewee as pw

from tui_inventory.store import pg_search, search
from tui_inventory.store.plan import Plan
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import SORTS, Row, TableQuery

PROBE_ROWS = 2000  # a broad search's window this near a known position is found by testing...
PROBES = 512  # ...rows of the sort order against the index, at most this many one by one,
BLOCK_MAX = 4096  # and at most this many at once
NO_STEP = 1 << 62


class Seeker:
    """Reads a table query's rows by seeking; `InventoryQuery` adds the cache and the counts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.inst = store.m.instance
        self.sqlite = not store.is_postgres
        self._lock = threading.Lock()
        self._by_id: str | None = None  # the SQL of `_rows_by_id`

    def _count(self, q: TableQuery, plan: Plan) -> int:
        raise NotImplementedError  # InventoryQuery's: a window read stops at the query's end

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

    # -- reading ------------------------------------------------------------------------------

    def _row_columns(self) -> tuple[Any, ...]:
        inst = self.inst
        return (inst.id, inst.key, inst.name, inst.status, inst.type, inst.site, inst.updated_at)

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

    def _statement(
        self, q: TableQuery, plan: Plan, *, anchored: bool, reverse: bool, read: str
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
        plan: Plan,
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
        self, plan: Plan, offset: int, last: int, total: int | None
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
            back_skip = back - last if back is not None else NO_STEP
            reverse = back_skip < fwd_skip
            skip, base = (back_skip, back) if reverse else (fwd_skip, fwd)
            assert base is not None
            return reverse, skip, base, plan.anchors.get(base)

    def _probe_window(self, q: TableQuery, plan: Plan, offset: int, limit: int) -> list[Row] | None:
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
        plan: Plan,
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
        self, q: TableQuery, plan: Plan, offset: int, limit: int, step: int
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
