"""Revisions: an instance's history, newest first, as old/new values per field, and the newest
changes across an inventory."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tui_inventory.store.base import StoreBase
from tui_inventory.store.records import KEY_CHUNK, RevisionRecord, chunked


class HistoryStore(StoreBase):
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
        return self.records_of(list(q.order_by(rev.id.desc()).limit(limit)))

    def records_of(self, rows: Sequence[Any]) -> list[RevisionRecord]:
        """Revision rows (id, kind, key, at, run, change, name, changes) as records, in their
        order; a creation's fields read back from its instance's later history (`_history`)."""
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


def _snapshot(fields: dict[str, Any], *, removed: bool) -> dict[str, list[Any]]:
    empty: tuple[Any, ...] = (None, "", [], {})
    if removed:
        return {k: [v, None] for k, v in fields.items() if v not in empty}
    return {k: [None, v] for k, v in fields.items() if v not in empty}


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
