"""Instances by pages: write a page (created, changed, unchanged, with revisions), remove what a
cleanup found gone, and read instances back (counts, one instance, all of a kind)."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterable, Sequence
from typing import Any

import peewee as pw

from tui_inventory.domain import Counters
from tui_inventory.store import fts, pg_search
from tui_inventory.store.base import StoreBase
from tui_inventory.store.fts import search_text
from tui_inventory.store.records import (
    BATCH,
    KEY_CHUNK,
    Encoded,
    InstanceRecord,
    _changes,
    _record,
    chunked,
    digest_of,
    dumps,
    encode,
    now_iso,
    with_status,
)
from tui_inventory.tmf.definitions import DEFINITIONS
from tui_inventory.tmf.mapping import OPERATIONAL_STATUSES, Mapped


class PageStore(StoreBase):
    # -- instances: writes ----------------------------------------------------------------------

    # The page write path is plain SQL with executemany: Peewee's query builder costs more per
    # row than SQLite itself, and a buildup writes a million rows.

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
        refresh_sql = f"UPDATE instance SET fields = {p}, digest = {p} WHERE id = {p}"
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
            refreshed: list[tuple[Any, ...]] = []
            for e in batch:
                key, status, fields_json, text = e.key, e.status, e.fields_json, e.text
                fields: dict[str, Any] | None = None
                old = existing.get(key)
                if old is not None and e.modem and old[2] != status:
                    # Modems keep the status already stored when an update arrives (SPEC §4).
                    status = old[2]
                    fields = with_status(kind, json.loads(fields_json), status)
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
                    delta = _changes(json.loads(old[3]), new)
                    if not delta:
                        # The same fields written another way (a float spelled as another JSON
                        # encoder spells it, `jsonio`): the new text and digest, no revision.
                        refreshed.append((fields_json, digest, old[0]))
                        counters.unchanged += 1
                        continue
                    updates.append(
                        (e.name, status, e.type, e.site, fields_json, digest, stamp, text, old[0])
                    )
                    revisions.append((kind, key, stamp, run, "changed", e.name, dumps(delta)))
                    counters.updated += 1
            if self.is_postgres:  # with each row's words for the search index
                pg_search.write(self.db, inserts, updates)
            else:
                self._executemany(insert_sql, inserts)
                self._executemany(update_sql, updates)
            self._executemany(revision_sql, revisions)
            self._executemany(refresh_sql, refreshed)
        if counters.created:
            search = not self._search_deferred  # (a buildup of an earlier version deferred it)
            fts.index_new_rows(self.db, kind, newest, statuses, search=search)
        return counters

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
        return int(inst.select().where((inst.kind == kind) & self._untracked(kind)).count())

    def remove_untracked(self, kind: str, run: int | None) -> int:
        """End-of-buildup cleanup: remove the instances the buildup did not see. Call inside a
        transaction: it is all-or-nothing."""
        return self._remove(kind, run, self._untracked(kind))

    def count_non_operational(self, kind: str = "services") -> int:
        inst = self.m.instance
        return int(inst.select().where((inst.kind == kind) & self._non_operational()).count())

    def remove_non_operational(self, run: int | None, kind: str = "services") -> int:
        """The services cleanup after an update: remove every stored service not Operational."""
        return self._remove(kind, run, self._non_operational())

    # -- instances: reads ---------------------------------------------------------------------

    def count(self, kind: str) -> int:
        if self.is_postgres:  # the counts table (a count of the rows reads them all)
            return pg_search.kind_counts(self.db).get(kind, 0)
        inst = self.m.instance
        return int(inst.select().where(inst.kind == kind).count())

    def counts(self) -> dict[str, int]:
        inst = self.m.instance
        rows: Any
        if self.is_postgres:  # the counts table (a count of the rows reads them all)
            rows = pg_search.kind_counts(self.db).items()
        else:
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

    def stored_keys(self, kind: str, keys: Sequence[str]) -> set[str]:
        """Which of `keys` are stored instances of `kind` (the targets of an instance's links)."""
        inst = self.m.instance
        out: set[str] = set()
        for part in chunked(list(keys), KEY_CHUNK):
            q = inst.select(inst.key).where((inst.kind == kind) & inst.key.in_(list(part)))
            out.update(k for (k,) in q.tuples())
        return out

    def keys(self, kind: str) -> set[str]:
        inst = self.m.instance
        return {k for (k,) in inst.select(inst.key).where(inst.kind == kind).tuples()}
