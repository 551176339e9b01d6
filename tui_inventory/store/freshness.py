"""How fresh each inventory is: when its last successful sync finished (for `/readyz` and the
`last_success_timestamp_seconds` metric). One grouped query over the small `type_run` table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import peewee as pw

if TYPE_CHECKING:
    from tui_inventory.store.repo import Store

# A held-back cleanup still fetched and stored every instance: the replica is fresh, only the
# removals wait (the `cleanup_held` gauge says so). Gaps (`partial`) are not a success.
SUCCESS_STATES = ("succeeded", "held")


def last_successes(store: Store) -> dict[str, float]:
    """Per inventory that ever synced successfully, when its last such sync (a buildup or an
    update; not a confirmed cleanup) finished, in seconds since the epoch."""
    tr = store.m.type_run
    rows = (
        tr.select(tr.kind, pw.fn.MAX(tr.finished_at))
        .where(
            tr.state.in_(SUCCESS_STATES)
            & tr.mode.in_(("buildup", "update"))
            & tr.finished_at.is_null(False)
        )
        .group_by(tr.kind)
        .tuples()
    )
    out: dict[str, float] = {}
    for kind, finished in rows:
        try:
            out[kind] = datetime.fromisoformat(str(finished).replace("Z", "+00:00")).timestamp()
        except ValueError:
            continue
    return out
