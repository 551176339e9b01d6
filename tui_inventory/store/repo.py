"""The inventory store: instances and their revisions, runs, buildup state, gaps, the sync log.

Writes happen in short immediate transactions (one page, at most 100 instances a batch); readers
never block the writer (SQLite WAL). Everything the console shows is read through this class.
"""

from __future__ import annotations

import collections
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import peewee as pw

from tui_inventory.store import fts, schema
from tui_inventory.store.db import is_postgres_url, open_database, write_transaction
from tui_inventory.store.fts import search_text
from tui_inventory.store.models import Models, bind
from tui_inventory.sync.events import Counters
from tui_inventory.tmf.definitions import DEFINITIONS, Definition
from tui_inventory.tmf.mapping import OPERATIONAL_STATUSES, Mapped, is_modem

if TYPE_CHECKING:
    from tui_inventory.store.progress import LiveProgress

BATCH = 100  # instances per write batch, as the connector does
KEY_CHUNK = 500  # keys per IN (...) lookup


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept (what `json.dumps` with these options writes: the digests of
    stored instances depend on it)."""
    return _ENCODER.encode(value)


def digest_of(fields_json: str) -> str:
    return hashlib.blake2b(fields_json.encode("utf-8"), digest_size=16).hexdigest()


def chunked(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class Encoded(NamedTuple):
    """A mapped instance as the store writes it: its fields as JSON and its search text already
    made (`encode`). A buildup encodes pages in the sync's process, so the store process — the
    buildup's busiest — only writes them, and a page crosses the pipe as strings, not as nested
    dicts."""

    key: str
    name: str
    status: str
    type: str
    site: str
    fields_json: str
    text: str  # `fts.search_text` of the instance as mapped
    modem: bool  # keeps the status already stored when it changes (SPEC §4)


def encode(m: Mapped) -> Encoded:
    return Encoded(
        m.key,
        m.name,
        m.status,
        m.type,
        m.site,
        dumps(m.fields),
        search_text(m.key, m.name, m.status, m.type, m.site, m.fields),
        is_modem(m),
    )


@dataclass(frozen=True)
class InstanceRecord:
    id: int
    kind: str
    key: str
    name: str
    status: str
    type: str
    site: str
    fields: dict[str, Any]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class RevisionRecord:
    id: int
    kind: str
    key: str
    at: str
    run: int | None
    change: str  # created | changed | removed
    name: str
    changes: dict[str, list[Any]]  # field -> [old, new]


@dataclass(frozen=True)
class BuildupRecord:
    kind: str
    run: int
    next_page: int
    pages_done: int
    received: int
    gaps: int
    started_at: str
    page_size: int = 0  # the page size its pages were counted in (0: not recorded)


@dataclass(frozen=True)
class HeldRecord:
    kind: str
    run: int
    scope: str
    would_remove: int
    total: int
    at: str


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name in new.keys() | old.keys():
        before, after = old.get(name), new.get(name)
        if before != after:
            out[name] = [before, after]
    return out


def _snapshot(fields: dict[str, Any], *, removed: bool) -> dict[str, list[Any]]:
    empty: tuple[Any, ...] = (None, "", [], {})
    if removed:
        return {k: [v, None] for k, v in fields.items() if v not in empty}
    return {k: [None, v] for k, v in fields.items() if v not in empty}


class Store:
    """One inventory database (a SQLite file or a PostgreSQL database)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = open_database(url)
        self.m: Models = bind(self.db)
        self._type_run_columns = frozenset(self.m.type_run._meta.columns)
        self.is_postgres = is_postgres_url(url)
        p = self.db.param
        self._service_status_sql = f'SELECT status FROM instance WHERE kind = {p} AND "key" = {p}'
        self._ensure_schema()
        self._indexes_deferred = schema.indexes_deferred(self.db)

    # -- schema -------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        schema.ensure(self.db, self.m)  # created or upgraded; one read when already current

    def definitions(self) -> dict[str, Definition]:
        """The definitions as stored in the database (the console renders from these)."""
        rows = self.m.definition.select()
        return {r.name: Definition.from_json(json.loads(r.body)) for r in rows}

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> Any:
        return write_transaction(self.db)

    def snapshot(self) -> Any:
        """A read transaction that sees one state of the database throughout (SQLite WAL: any
        read transaction; PostgreSQL: REPEATABLE READ)."""
        if self.is_postgres:
            return self.db.atomic(isolation_level="REPEATABLE READ")
        return self.db.atomic()

    # -- instances: writes ----------------------------------------------------------------------

    # The page write path is plain SQL with executemany: Peewee's query builder costs more per
    # row than SQLite itself, and a buildup writes a million rows.

    def _in(self, n: int) -> str:
        return ", ".join([self.db.param] * n)

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return list(self.db.execute_sql(sql, params).fetchall())

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            cursor = self.db.cursor()
            if self.is_postgres:  # psycopg2's executemany is one round trip per row
                from psycopg2.extras import execute_batch

                execute_batch(cursor, sql, rows, page_size=BATCH)
            else:
                cursor.executemany(sql, rows)

    def _existing(self, kind: str, keys: Sequence[str]) -> dict[str, tuple[int, str, str, str]]:
        """key -> (id, digest, status, fields json) of stored instances among `keys`."""
        out: dict[str, tuple[int, str, str, str]] = {}
        for part in chunked(list(keys), KEY_CHUNK):
            sql = (
                'SELECT id, "key", digest, status, fields FROM instance '
                f'WHERE kind = {self.db.param} AND "key" IN ({self._in(len(part))})'
            )
            for id_, key, digest, status, fields in self._rows(sql, [kind, *part]):
                out[key] = (id_, digest, status, fields)
        return out

    def store_page(self, kind: str, run: int | None, items: Sequence[Mapped | Encoded]) -> Counters:
        """Create or update `items` (already de-duplicated) in one transaction; write revisions.

        Must be called inside `transaction()` by the engine, together with the buildup bookkeeping
        of the same page, so a page is stored exactly once even if the process dies.
        """
        counters = Counters()
        p = self.db.param
        insert_sql = (
            'INSERT INTO instance (kind, "key", name, status, "type", site, fields, digest, '
            f"created_at, updated_at, search_text) VALUES ({self._in(11)})"
        )
        update_sql = (
            f'UPDATE instance SET name = {p}, status = {p}, "type" = {p}, site = {p}, '
            f"fields = {p}, digest = {p}, updated_at = {p}, search_text = {p} WHERE id = {p}"
        )
        revision_sql = (
            'INSERT INTO revision (kind, "key", "at", run, change, name, changes) '
            f"VALUES ({self._in(7)})"
        )
        newest = self._newest_id()
        statuses: collections.Counter[str] = collections.Counter()  # of the rows inserted
        rows = [m if isinstance(m, Encoded) else encode(m) for m in items]
        for batch in chunked(rows, BATCH):
            existing = self._existing(kind, [e.key for e in batch])
            stamp = now_iso()
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[Any, ...]] = []
            revisions: list[tuple[Any, ...]] = []
            for e in batch:
                key, status, fields_json, text = e.key, e.status, e.fields_json, e.text
                fields: dict[str, Any] | None = None
                old = existing.get(key)
                if old is not None and e.modem and old[2] != status:
                    # Modems keep the status already stored when an update arrives (SPEC §4).
                    status = old[2]
                    fields = _with_status(kind, json.loads(fields_json), status)
                    fields_json = dumps(fields)
                    text = search_text(key, e.name, status, e.type, e.site, fields)
                digest = digest_of(fields_json)
                if old is not None and old[1] == digest:
                    counters.unchanged += 1
                    continue
                if old is None:
                    inserts.append(
                        (
                            kind,
                            key,
                            e.name,
                            status,
                            e.type,
                            e.site,
                            fields_json,
                            digest,
                            stamp,
                            stamp,
                            text,
                        )
                    )
                    statuses[status] += 1
                    # The fields as created are the instance's own row until it changes, and
                    # each change records the old values: nothing to copy (see `_history`).
                    revisions.append((kind, key, stamp, run, "created", e.name, ""))
                    counters.created += 1
                else:
                    new = fields if fields is not None else json.loads(fields_json)
                    changes = dumps(_changes(json.loads(old[3]), new))
                    updates.append(
                        (e.name, status, e.type, e.site, fields_json, digest, stamp, text, old[0])
                    )
                    revisions.append((kind, key, stamp, run, "changed", e.name, changes))
                    counters.updated += 1
            self._executemany(insert_sql, inserts)
            self._executemany(update_sql, updates)
            self._executemany(revision_sql, revisions)
        if counters.created:
            search = not self._indexes_deferred  # else indexed when the first buildup ends
            fts.index_new_rows(self.db, kind, newest, statuses, search=search)
        return counters

    # -- a first buildup's indexes ----------------------------------------------------------------

    def indexes_deferred(self) -> bool:
        """Whether a first buildup has deferred the sort and search indexes (see `defer_indexes`)."""
        self._indexes_deferred = schema.indexes_deferred(self.db)
        return self._indexes_deferred

    def defer_indexes(self) -> bool:
        """Before a first buildup into an empty SQLite inventory: drop the instance table's sort
        indexes (the unique one on kind and key stays) and index new rows for search no more, so
        each row is written once; `build_deferred_indexes` builds both once, when it ends (a
        third of the store's work in a buildup). Until then the tables sort by a column without
        an index and search does not find the new rows. Returns whether it deferred them."""
        if self.is_postgres:
            return False
        with self.transaction():
            if self.db.execute_sql("SELECT 1 FROM instance LIMIT 1").fetchone() is not None:
                return False
            names = self.db.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instance' "
                "AND sql IS NOT NULL AND name != 'instance_kind_key'"
            ).fetchall()
            for (name,) in names:
                self.db.execute_sql(f'DROP INDEX "{name}"')
            self.m.meta.insert(
                name=schema.INDEXES_DEFERRED, value=now_iso()
            ).on_conflict_ignore().execute()
        self._indexes_deferred = True
        return True

    def build_deferred_indexes(self) -> None:
        """Build what `defer_indexes` deferred: the sort indexes, then the search index and the
        counts afresh from the table, in one transaction (readers see the table meanwhile)."""
        with self.transaction():
            self.m.meta.delete().where(self.m.meta.name == schema.INDEXES_DEFERRED).execute()
            self.db.create_tables([self.m.instance], safe=True)
            fts.ensure(self.db)
            fts.rebuild(self.db)
        self._indexes_deferred = False

    def _newest_id(self) -> int:
        return int(self.db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM instance").fetchone()[0])

    def _remove(self, kind: str, run: int | None, where: Any) -> int:
        """Remove the instances of `kind` matching `where`, each leaving a 'removed' revision."""
        inst, rev = self.m.instance, self.m.revision
        removed = 0
        stamp = now_iso()
        while True:
            rows = list(
                inst.select(inst.id, inst.key, inst.name, inst.fields)
                .where((inst.kind == kind) & where)
                .order_by(inst.id)
                .limit(BATCH)
                .tuples()
            )
            if not rows:
                return removed
            rev.insert_many(
                [
                    {
                        "kind": kind,
                        "key": key,
                        "at": stamp,
                        "run": run,
                        "change": "removed",
                        "name": name,
                        "changes": fields,  # the fields as they were (see `_history`)
                    }
                    for _, key, name, fields in rows
                ]
            ).execute()
            inst.delete().where(inst.id.in_([r[0] for r in rows])).execute()
            removed += len(rows)

    def _untracked(self, kind: str) -> Any:
        tk = self.m.tracked
        inst = self.m.instance
        sub = tk.select(tk.key).where(tk.kind == kind)
        return inst.key.not_in(sub)

    def _non_operational(self) -> Any:
        inst = self.m.instance
        return pw.fn.LOWER(inst.status).not_in(sorted(OPERATIONAL_STATUSES))

    def count_untracked(self, kind: str) -> int:
        inst = self.m.instance
        return inst.select().where((inst.kind == kind) & self._untracked(kind)).count()

    def remove_untracked(self, kind: str, run: int | None) -> int:
        """End-of-buildup cleanup: remove the instances the buildup did not see. Call inside a
        transaction: it is all-or-nothing."""
        return self._remove(kind, run, self._untracked(kind))

    def count_non_operational(self, kind: str = "services") -> int:
        inst = self.m.instance
        return inst.select().where((inst.kind == kind) & self._non_operational()).count()

    def remove_non_operational(self, run: int | None, kind: str = "services") -> int:
        """The services cleanup after an update: remove every stored service not Operational."""
        return self._remove(kind, run, self._non_operational())

    # -- instances: reads ---------------------------------------------------------------------

    def count(self, kind: str) -> int:
        inst = self.m.instance
        return inst.select().where(inst.kind == kind).count()

    def counts(self) -> dict[str, int]:
        inst = self.m.instance
        rows = inst.select(inst.kind, pw.fn.COUNT(inst.id)).group_by(inst.kind).tuples()
        out = dict.fromkeys(DEFINITIONS, 0)
        out.update({k: n for k, n in rows})
        return out

    def service_status(self, key: str) -> str | None:
        """The stored status of service `key` (None when unknown). Plain SQL: carriers look it up
        for each of their supporting services, on the sync's busiest thread."""
        row = self.db.execute_sql(self._service_status_sql, ("services", str(key))).fetchone()
        return row[0] if row else None

    def get(self, kind: str, key: str) -> InstanceRecord | None:
        inst = self.m.instance
        row = inst.select().where((inst.kind == kind) & (inst.key == key)).first()
        return _record(row) if row else None

    def iter_instances(self, kind: str, batch: int = 1000) -> Iterable[InstanceRecord]:
        """Every instance of `kind` in key order, read in batches (for export)."""
        inst = self.m.instance
        last = ""
        while True:
            rows = list(
                inst.select()
                .where((inst.kind == kind) & (inst.key > last))
                .order_by(inst.key)
                .limit(batch)
            )
            if not rows:
                return
            for r in rows:
                yield _record(r)
            last = rows[-1].key

    def keys(self, kind: str) -> set[str]:
        inst = self.m.instance
        return {k for (k,) in inst.select(inst.key).where(inst.kind == kind).tuples()}

    def revisions(self, kind: str, key: str) -> list[RevisionRecord]:
        """An instance's revisions, newest first (also after it was removed)."""
        return self._histories(kind, [key]).get(key, [])

    def _histories(self, kind: str, keys: Sequence[str]) -> dict[str, list[RevisionRecord]]:
        """The revisions of the instances `keys` of `kind`, newest first, by key."""
        rows: dict[str, list[Any]] = {}
        current: dict[str, dict[str, Any]] = {}
        with self.snapshot():  # revisions and fields of one state (a page may commit meanwhile)
            self._read_histories(kind, keys, rows, current)
        return {k: _history(r, current.get(k)) for k, r in rows.items()}

    def _read_histories(
        self,
        kind: str,
        keys: Sequence[str],
        rows: dict[str, list[Any]],
        current: dict[str, dict[str, Any]],
    ) -> None:
        rev, inst = self.m.revision, self.m.instance
        for part in chunked(list(keys), KEY_CHUNK):
            where = (rev.kind == kind) & rev.key.in_(list(part))
            for r in rev.select().where(where).order_by(rev.id.desc()):
                rows.setdefault(r.key, []).append(r)
            found = inst.select(inst.key, inst.fields).where(
                (inst.kind == kind) & inst.key.in_(list(part))
            )
            current.update({k: json.loads(f) for k, f in found.tuples()})

    def recent_revisions(
        self,
        limit: int = 200,
        *,
        kind: str | None = None,
        change: str | None = None,
        before_id: int | None = None,
    ) -> list[RevisionRecord]:
        """The latest revisions across the inventories, newest first (the Changes feed)."""
        rev = self.m.revision
        q = rev.select()
        if kind:
            q = q.where(rev.kind == kind)
        if change:
            q = q.where(rev.change == change)
        if before_id is not None:
            q = q.where(rev.id < before_id)
        rows = list(q.order_by(rev.id.desc()).limit(limit))
        # A creation's fields come from the instance's later history (see `_history`).
        wanted: dict[str, set[str]] = {}
        for r in rows:
            if r.change == "created" and not r.changes:
                wanted.setdefault(r.kind, set()).add(r.key)
        known = {
            record.id: record
            for k, keys in wanted.items()
            for history in self._histories(k, sorted(keys)).values()
            for record in history
        }
        return [known.get(r.id) or _history([r], None)[0] for r in rows]

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
        """Start a buildup of `kind` afresh: clear any tracked keys of an earlier one."""
        with self.transaction():
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

    def tracked_keys(self, kind: str) -> Iterable[str]:
        """Every key tracked by the buildup of `kind` in progress, read as a stream."""
        cursor = self.db.execute_sql(
            f'SELECT "key" FROM tracked_key WHERE kind = {self.db.param}', (kind,)
        )
        for (key,) in cursor:
            yield key

    def holds_lease(self, holder: str) -> bool:
        """Whether the sync lease is held by `holder` (read inside a write transaction, it stays
        so until the transaction ends: a takeover writes the same row)."""
        from tui_inventory.store.lease import LEASE_NAME

        p = self.db.param
        sql = f"SELECT 1 FROM lease WHERE name = {p} AND holder = {p}"
        if self.is_postgres:  # (SQLite: the write transaction excludes a takeover already)
            sql += " FOR SHARE"  # a takeover's write of the row waits for this transaction
        return self.db.execute_sql(sql, (LEASE_NAME, holder)).fetchone() is not None

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

    def tracked_count(self, kind: str) -> int:
        return self.m.tracked.select().where(self.m.tracked.kind == kind).count()

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

    def record_gap(self, run: int, kind: str, page: int, reason: str) -> None:
        self.m.gap.insert(run=run, kind=kind, page=page, reason=reason, at=now_iso()).execute()

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

    def live_progress(self) -> LiveProgress:
        """What the sync is doing (per inventory: its type run's state, counters, pages, total;
        the lease holder), read from the database: for a console on another process or host."""
        from tui_inventory.store.progress import live_progress

        with self.snapshot():  # its figures all from one state, however fast the sync commits
            return live_progress(self)


def _with_status(kind: str, fields: dict[str, Any], status: str) -> dict[str, Any]:
    name = "Operational Status" if kind == "carriers" else "Status"
    out = dict(fields)
    out[name] = status
    return out


def _record(row: Any) -> InstanceRecord:
    return InstanceRecord(
        id=row.id,
        kind=row.kind,
        key=row.key,
        name=row.name,
        status=row.status,
        type=row.type,
        site=row.site,
        fields=json.loads(row.fields),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _history(rows: Sequence[Any], current: dict[str, Any] | None) -> list[RevisionRecord]:
    """Revision rows of one instance, newest first, as old/new values per field; `current` is
    its fields now (None when it was removed).

    A change's row stores {field: [old, new]} and a removal's the fields as they were; a creation's
    row stores nothing (since schema 3; the fields as created, before): walking back from the
    fields now (or as removed), each change's old values give the fields before it, so the walk
    reaches every creation with the fields it created."""
    state = dict(current) if current is not None else None
    out: list[RevisionRecord] = []
    for row in rows:
        data: Any = json.loads(row.changes) if row.changes else None
        if row.change == "changed":
            changes = data or {}
            if state is not None:
                state.update({name: pair[0] for name, pair in changes.items()})
        elif row.change == "removed":
            state = dict(data or {})
            changes = _snapshot(state, removed=True)
        else:  # created
            changes = _snapshot(data if data is not None else state or {}, removed=False)
            state = None  # before its creation: nothing, or an earlier life's removal
        out.append(
            RevisionRecord(
                id=row.id,
                kind=row.kind,
                key=row.key,
                at=row.at,
                run=row.run,
                change=row.change,
                name=row.name,
                changes=changes,
            )
        )
    return out
