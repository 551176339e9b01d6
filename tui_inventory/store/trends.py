"""What each of an inventory's last runs changed in its size (for the dashboard's size line)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_inventory.store.repo import Store

SIZE_RUNS = 30  # runs the size line goes back


def run_changes(store: Store, kind: str, limit: int = SIZE_RUNS) -> list[tuple[int, int]]:
    """(created, removed) of the inventory's last `limit` type runs, newest first."""
    tr = store.m.type_run
    query = (
        tr.select(tr.created, tr.removed)
        .where(tr.kind == kind)
        .order_by(tr.run.desc())
        .limit(limit)
        .tuples()
    )
    return [(int(created or 0), int(removed or 0)) for created, removed in query]


def size_points(count: int, runs: Sequence[tuple[int, int]]) -> list[int]:
    """The inventory's size before the oldest of `runs` and after each, oldest first: `count`
    now, and each run undone, newest first, by what it created and removed (`runs` is newest
    first). After a first buildup: [0, its size]."""
    if not runs:
        return []
    after = count
    sizes = [max(after, 0)]
    for created, removed in runs:
        after = after - created + removed
        sizes.append(max(after, 0))
    sizes.reverse()
    return sizes
