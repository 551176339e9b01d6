"""What a held-back cleanup would remove (SPEC §11): read before the operator decides.

The same condition the cleanup removes by (`Store._untracked` after a buildup, `_non_operational`
after an update), read in key order by keyset, a batch at a time, optionally narrowed by a search
on key or name: `tui-inventory cleanup KIND` and the console's cleanup dialog list these.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import peewee as pw

from tui_inventory.store.repo import HeldRecord, Store

BATCH = 500


@dataclass(frozen=True)
class Candidate:
    """An instance a held cleanup would remove."""

    key: str
    name: str
    status: str
    type: str


def _where(store: Store, held: HeldRecord, search: str | None) -> Any:
    inst = store.m.instance
    cond = inst.kind == held.kind
    cond &= store._untracked(held.kind) if held.scope == "buildup" else store._non_operational()
    if search:
        like = f"%{search.lower()}%"
        cond &= (pw.fn.LOWER(inst.key) ** like) | (pw.fn.LOWER(inst.name) ** like)
    return cond


def count_candidates(store: Store, held: HeldRecord, search: str | None = None) -> int:
    inst = store.m.instance
    return int(inst.select().where(_where(store, held, search)).count())


def candidates(
    store: Store,
    held: HeldRecord,
    *,
    search: str | None = None,
    limit: int | None = None,
    batch: int = BATCH,
) -> Iterator[Candidate]:
    """The instances the held cleanup `held` would remove, in key order (at most `limit`)."""
    inst = store.m.instance
    where = _where(store, held, search)
    last: str | None = None
    left = limit
    while left is None or left > 0:
        size = batch if left is None else min(batch, left)
        q = inst.select(inst.key, inst.name, inst.status, inst.type).where(where)
        if last is not None:
            q = q.where(inst.key > last)
        rows = list(q.order_by(inst.key).limit(size).tuples())
        for key, name, status, type_ in rows:
            yield Candidate(key, name, status, type_)
        if left is not None:
            left -= len(rows)
        if len(rows) < size:
            return
        last = rows[-1][0]
