"""A sync's bookkeeping: buildup state and tracked keys, held cleanups, runs and type runs, gaps,
and the sync log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tui_inventory.domain import Counters
from tui_inventory.store.base import StoreBase
from tui_inventory.store.lease import LEASE_NAME
from tui_inventory.store.records import KEY_CHUNK, BuildupRecord, HeldRecord, chunked, now_iso
from tui_inventory.tmf.definitions import DEFINITIONS


class BookkeepingStore(StoreBase):
    # -- buildup state --------------------------------------------------------------------------

    def buildup(self, kind: str) -> BuildupRecord | None:
        row = self.m.buildup.get_or_none(self.m.buildup.kind == kind)
        if row is None:
            return None
        return BuildupRecord(
            row.kind,
            row.run,
            row.next_page,
            row.pages_done,
            row.received,
            row.gaps,
            row.started_at,
            row.page_size,
        )

    def buildups(self) -> dict[str, BuildupRecord]:
        return {k: b for k in DEFINITIONS if (b := self.buildup(k)) is not None}

    def begin_buildup(self, kind: str, run: int, page_size: int = 0) -> BuildupRecord:
        """Start a buildup of `kind` afresh: clear any tracked keys of an earlier one. The gaps
        still open of an earlier buildup are settled: this one reads every page again."""
        with self.transaction():
            g = self.m.gap
            g.update(settled_at=now_iso()).where((g.kind == kind) & (g.settled_at == "")).execute()
            self.m.tracked.delete().where(self.m.tracked.kind == kind).execute()
            self.m.buildup.delete().where(self.m.buildup.kind == kind).execute()
            self.m.buildup.insert(
                kind=kind, run=run, next_page=1, started_at=now_iso(), page_size=page_size
            ).execute()
        rec = self.buildup(kind)
        assert rec is not None
        return rec

    def adopt_buildup(self, kind: str, run: int, page_size: int = 0) -> BuildupRecord:
        """A resumed buildup continues under the new run. When the page size changed since it
        was interrupted, the next page is counted anew so that no entity is skipped: it starts at
        the page holding the first entity not yet fetched (a few are fetched again, and skipped as
        repeats)."""
        b = self.m.buildup
        state = self.buildup(kind)
        assert state is not None
        values: dict[str, Any] = {"run": run}
        if page_size and state.page_size and page_size != state.page_size:
            fetched = (state.next_page - 1) * state.page_size
            values["next_page"] = fetched // page_size + 1
        if page_size:
            values["page_size"] = page_size
        with self.transaction():
            b.update(**values).where(b.kind == kind).execute()
        new = self.buildup(kind)
        assert new is not None
        return new

    def tracked_among(self, kind: str, keys: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for part in chunked(list(keys), KEY_CHUNK):
            sql = (
                f'SELECT "key" FROM tracked_key WHERE kind = {self.db.param} '
                f'AND "key" IN ({self._in(len(part))})'
            )
            out.update(k for (k,) in self._rows(sql, [kind, *part]))
        return out

    def holds_lease(self, holder: str) -> bool:
        """Whether the sync lease is held by `holder` (read inside a write transaction, it stays
        so until the transaction ends: a takeover writes the same row)."""
        p = self.db.param
        sql = f"SELECT 1 FROM lease WHERE name = {p} AND holder = {p}"
        if self.is_postgres:  # (SQLite: the write transaction excludes a takeover already)
            sql += " FOR SHARE"  # a takeover's write of the row waits for this transaction
        return self.db.execute_sql(sql, (LEASE_NAME, holder)).fetchone() is not None

    def tracked_keys(self, kind: str) -> Iterable[str]:
        """Every key tracked by the buildup of `kind` in progress, read as a stream."""
        cursor = self.db.execute_sql(
            f'SELECT "key" FROM tracked_key WHERE kind = {self.db.param}', (kind,)
        )
        for (key,) in cursor:
            yield key

    def track(self, kind: str, keys: Sequence[str]) -> None:
        self._executemany(
            f'INSERT INTO tracked_key (kind, "key") VALUES ({self._in(2)}) ON CONFLICT DO NOTHING',
            [(kind, k) for k in keys],
        )

    def advance_buildup(self, kind: str, *, next_page: int, received: int, gap: bool) -> None:
        p = self.db.param  # plain SQL: this runs with every page of a buildup
        self.db.execute_sql(
            f"UPDATE buildup SET next_page = {p}, pages_done = pages_done + 1, "
            f"received = received + {p}, gaps = gaps + {p} WHERE kind = {p}",
            (next_page, received, 1 if gap else 0, kind),
        )

    def finish_buildup(self, kind: str) -> None:
        """Clear the tracked keys and the buildup flag (end of a type's buildup)."""
        self.m.tracked.delete().where(self.m.tracked.kind == kind).execute()
        self.m.buildup.delete().where(self.m.buildup.kind == kind).execute()

    def drop_buildup(self, kind: str) -> None:
        """Clear the buildup flag alone: its tracked keys stay for the cleanup it held back."""
        self.m.buildup.delete().where(self.m.buildup.kind == kind).execute()

    def forget_tracked(self, kind: str) -> None:
        """Clear the tracked keys of `kind` (a held-back cleanup was discarded)."""
        self.m.tracked.delete().where(self.m.tracked.kind == kind).execute()

    def tracked_count(self, kind: str) -> int:
        return int(self.m.tracked.select().where(self.m.tracked.kind == kind).count())

    # -- held cleanups --------------------------------------------------------------------------

    def hold_cleanup(self, kind: str, run: int, scope: str, would_remove: int, total: int) -> None:
        h = self.m.held
        h.delete().where(h.kind == kind).execute()
        h.insert(
            kind=kind, run=run, scope=scope, would_remove=would_remove, total=total, at=now_iso()
        ).execute()

    def held_cleanups(self) -> dict[str, HeldRecord]:
        return {
            r.kind: HeldRecord(r.kind, r.run, r.scope, r.would_remove, r.total, r.at)
            for r in self.m.held.select()
        }

    def drop_held(self, kind: str) -> None:
        self.m.held.delete().where(self.m.held.kind == kind).execute()

    # -- runs, gaps, log ------------------------------------------------------------------------

    def start_run(self, mode: str, host: str, pid: int) -> int:
        return int(
            self.m.run.insert(
                mode=mode, state="running", host=host, pid=pid, started_at=now_iso()
            ).execute()
        )

    def finish_run(self, run: int, state: str, reason: str = "") -> None:
        self.m.run.update(state=state, reason=reason, finished_at=now_iso()).where(
            self.m.run.id == run
        ).execute()

    def start_type_run(self, run: int, kind: str, mode: str) -> None:
        tr = self.m.type_run
        with self.transaction():  # a fresh row (PostgreSQL has no INSERT OR REPLACE)
            tr.delete().where((tr.run == run) & (tr.kind == kind)).execute()
            tr.insert(
                run=run, kind=kind, mode=mode, state="running", started_at=now_iso()
            ).execute()

    def update_type_run(self, run: int, kind: str, counters: Counters, **values: Any) -> None:
        values = {**counters.as_dict(), **values}
        for name in values:  # column names are ours, never data: checked, then spliced in
            if name not in self._type_run_columns:
                raise ValueError(f"type_run has no column {name!r}")
        p = self.db.param  # plain SQL: this runs with every page
        assignments = ", ".join(f'"{name}" = {p}' for name in values)
        self.db.execute_sql(
            f'UPDATE type_run SET {assignments} WHERE "run" = {p} AND kind = {p}',
            (*values.values(), run, kind),
        )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        r = self.m.run
        return list(r.select().order_by(r.id.desc()).limit(limit).dicts())

    def type_runs(self, run: int) -> list[dict[str, Any]]:
        tr = self.m.type_run
        return list(tr.select().where(tr.run == run).dicts())

    def last_type_runs(self) -> dict[str, dict[str, Any]]:
        """Per type, the latest type run (what the dashboard shows as 'last run')."""
        tr = self.m.type_run
        out: dict[str, dict[str, Any]] = {}
        for kind in DEFINITIONS:
            row = tr.select().where(tr.kind == kind).order_by(tr.run.desc()).dicts().first()
            if row:
                out[kind] = row
        return out

    def last_synced(self) -> dict[str, str]:
        """Per type, when its last buildup or update that did its work (succeeded, partial,
        held) finished: a cancelled or failed run since is not a sync."""
        tr = self.m.type_run
        out: dict[str, str] = {}
        for kind in DEFINITIONS:
            row = (
                tr.select(tr.finished_at)
                .where(
                    (tr.kind == kind)
                    & tr.state.in_(("succeeded", "partial", "held"))
                    & tr.finished_at.is_null(False)
                )
                .order_by(tr.run.desc())
                .first()
            )
            if row is not None:
                out[kind] = row.finished_at
        return out

    def has_completed_buildup(self) -> bool:
        """A buildup has completed for every type at least once (and none is in progress)."""
        tr = self.m.type_run
        if self.m.buildup.select().exists():
            return False
        for kind in DEFINITIONS:
            done = (
                tr.select()
                .where(
                    (tr.kind == kind)
                    & (tr.mode == "buildup")
                    & (tr.state.in_(["succeeded", "partial", "held"]))
                )
                .exists()
            )
            if not done:
                return False
        return True

    def record_gap(self, run: int, kind: str, page: int, reason: str, page_size: int = 0) -> None:
        """A page that failed; with `page_size` (a buildup's), the next run reads it again."""
        self.m.gap.insert(
            run=run, kind=kind, page=page, reason=reason, at=now_iso(), page_size=page_size
        ).execute()

    def open_gaps(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The buildup gaps not read again yet (of `kind`, or of every type), in page order."""
        g = self.m.gap
        where = (g.page_size > 0) & (g.settled_at == "")
        if kind is not None:
            where &= g.kind == kind
        return list(g.select().where(where).order_by(g.kind, g.page, g.id).dicts())

    def settle_gap(self, gap: int, kind: str) -> None:
        """A gap read again and stored (inside the page's transaction): it is no longer open, and
        a buildup of `kind` in progress counts one gap fewer."""
        g, b = self.m.gap, self.m.buildup
        g.update(settled_at=now_iso()).where(g.id == gap).execute()
        b.update(gaps=b.gaps - 1).where((b.kind == kind) & (b.gaps > 0)).execute()

    def gaps(self, run: int | None = None) -> list[dict[str, Any]]:
        g = self.m.gap
        q = g.select()
        if run is not None:
            q = q.where(g.run == run)
        return list(q.order_by(g.id).dicts())

    def log(self, run: int | None, level: str, kind: str | None, message: str) -> int:
        """Add a line to the sync log; returns its id."""
        return int(
            self.m.log.insert(
                at=now_iso(), run=run, level=level, kind=kind, message=message[:2000]
            ).execute()
        )

    def log_entries(self, limit: int = 200, after_id: int = 0) -> list[dict[str, Any]]:
        lg = self.m.log
        q = lg.select().where(lg.id > after_id).order_by(lg.id.desc()).limit(limit)
        return list(reversed(list(q.dicts())))
