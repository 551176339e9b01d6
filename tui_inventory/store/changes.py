"""The revisions of a time window (`tui-inventory changes`, the console's Changes feed).

Revisions are read by keyset on (at, id) — the `revision (at, id)` index — a batch at a time, so a
window of a million revisions streams in constant memory. A creation's fields are not copied into
its revision (see `HistoryStore.records_of`): they are read back from the instance's later history, a batch
of keys at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from tui_inventory.errors import InventoryError
from tui_inventory.store.repo import RevisionRecord, Store

CHANGE_KINDS = ("created", "changed", "removed")
BATCH = 500
_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def stamp(when: datetime) -> str:
    """A time as the store writes it (UTC, fixed width: ordered as text as in time)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str, *, now: datetime | None = None) -> str:
    """`2h`, `3d`, `30m`, `45s`, `1w` ago, or ISO 8601 (a time without a zone is local time);
    returned in the store's format. Raises InventoryError with the accepted forms otherwise."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return stamp(now - timedelta(**{_UNITS[unit]: amount}))
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InventoryError(
            f"{text!r} is not a time: give ISO 8601 (2026-12-01T10:00, 2026-12-01) "
            "or a time ago (30m, 2h, 3d, 1w)"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # a time without a zone is the operator's local time
    return stamp(when)


@dataclass(frozen=True)
class ChangeWindow:
    """Which revisions: `since` ≤ at ≤ `until` (store format; None: open), of one inventory and
    one kind of change (None: all)."""

    since: str | None = None
    until: str | None = None
    kind: str | None = None
    change: str | None = None


def read_changes(
    store: Store,
    window: ChangeWindow,
    *,
    newest_first: bool = False,
    limit: int | None = None,
    batch: int = BATCH,
) -> Iterator[RevisionRecord]:
    """The revisions of `window`, oldest first (or newest first), at most `limit`."""
    p = store.db.param
    conditions: list[str] = []
    params: list[Any] = []
    if window.since:
        conditions.append(f'"at" >= {p}')
        params.append(window.since)
    if window.until:
        conditions.append(f'"at" <= {p}')
        params.append(window.until)
    if window.kind:
        conditions.append(f"kind = {p}")
        params.append(window.kind)
    if window.change:
        conditions.append(f"change = {p}")
        params.append(window.change)
    order = "DESC" if newest_first else "ASC"
    beyond = f'("at", id) {"<" if newest_first else ">"} ({p}, {p})'
    columns = 'id, kind, "key", "at", run, change, name, changes'
    left = limit
    anchor: tuple[str, int] | None = None
    while left is None or left > 0:
        where = list(conditions)
        args = list(params)
        if anchor is not None:
            where.append(beyond)
            args.extend(anchor)
        size = batch if left is None else min(batch, left)
        sql = (
            f"SELECT {columns} FROM revision"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + f' ORDER BY "at" {order}, id {order} LIMIT {int(size)}'
        )
        rows = [
            SimpleNamespace(
                id=r[0],
                kind=r[1],
                key=r[2],
                at=r[3],
                run=r[4],
                change=r[5],
                name=r[6],
                changes=r[7],
            )
            for r in store.db.execute_sql(sql, args).fetchall()
        ]
        if not rows:
            return
        yield from store.records_of(rows)
        if left is not None:
            left -= len(rows)
        if len(rows) < size:
            return
        anchor = (rows[-1].at, rows[-1].id)
