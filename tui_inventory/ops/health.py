"""Readiness (`/readyz`, SPEC §12): the store answers, and every inventory's last successful sync
is younger than twice `sync.update_frequency`, or a buildup is running."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_inventory import KINDS
from tui_inventory.errors import InventoryError
from tui_inventory.store.db import DatabaseError
from tui_inventory.store.freshness import last_successes

if TYPE_CHECKING:
    from tui_inventory.store.repo import Store


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'failing'}: {self.detail}"


def readiness(store: Store, update_frequency: float, now: float | None = None) -> list[Check]:
    """Every check, in a fixed order: `store`, then one per inventory."""
    try:
        try:
            progress = store.live_progress()
            successes = last_successes(store)
        finally:
            store.db.close()  # this thread's connection: a probe leaves none behind
    except (DatabaseError, InventoryError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return [Check("store", False, f"the store does not answer ({first})")]
    checks = [Check("store", True, "the store answers")]
    now = progress.at if now is None else now
    limit = 2 * update_frequency
    run = progress.run
    building = progress.running and run is not None and run.mode == "buildup"
    building = building and run is not None and run.state == "running"
    for kind in KINDS:
        at = successes.get(kind)
        if at is not None and now - at < limit:
            checks.append(Check(kind, True, f"last successful sync {_ago(now - at)} ago"))
        elif building:
            checks.append(Check(kind, True, "a buildup is running"))
        elif at is None:
            checks.append(Check(kind, False, "no successful sync yet"))
        else:
            checks.append(
                Check(
                    kind,
                    False,
                    f"last successful sync {_ago(now - at)} ago, more than {_ago(limit)}",
                )
            )
    return checks


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
