"""The cleanup policy: what a complete listing lets a run remove, the mass-delete guard that
holds a large cleanup back, and the operator's confirmation or discarding of a held one."""

from __future__ import annotations

import os
import socket

from tui_inventory.errors import (
    Cancelled,
    InventoryError,
)
from tui_inventory.store.lease import SyncLease
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine_base import EngineBase
from tui_inventory.sync.results import TypeResult
from tui_inventory.text import percent


class CleanupPolicy(EngineBase):
    def _cleanup(self, kind: str, scope: str, result: TypeResult, allow_mass_delete: bool) -> None:
        """Remove what the cleanup removes, unless the mass-delete guard holds it back."""
        if self.cancelled:  # a cancel that came after the last page (or the confirming listing)
            raise Cancelled()
        store = self.store
        if scope == "buildup":
            would, total = store.count_untracked(kind), store.count(kind)
        else:
            would, total = store.count_non_operational(kind), store.count(kind)
        limit = self.config.sync.max_delete_fraction
        if total and would / total > limit and not allow_mass_delete:
            with store.transaction():
                store.hold_cleanup(kind, self._run_id, scope, would, total)
                if scope == "buildup":
                    store.drop_buildup(kind)
            result.state = "held"
            result.reason = (
                f"cleanup held back: it would remove {would} of {total} {kind} "
                f"(more than {percent(limit)}); confirm it to proceed"
            )
            self._log("warning", kind, f"{kind}: {result.reason}")
            self._emit(ev.CleanupHeld(self._run_id, kind, would, total))
            return
        removed = self._apply_cleanup(kind, scope)
        result.counters.removed += removed
        result.state = "succeeded"

    def _apply_cleanup(self, kind: str, scope: str) -> int:
        store = self.store
        with store.transaction():  # all or nothing
            if scope == "buildup":
                removed = store.remove_untracked(kind, self._run_id)
                store.finish_buildup(kind)
            else:
                removed = store.remove_non_operational(self._run_id, kind)
            store.drop_held(kind)
        if removed:
            self._log("info", kind, f"{kind}: cleanup removed {removed}")
        self._emit(ev.CleanupDone(self._run_id, kind, removed))
        return removed

    def confirm_cleanup(self, kind: str) -> int:
        """Run a held-back cleanup the operator confirmed; returns how many were removed."""
        held = self.store.held_cleanups().get(kind)
        if held is None:
            raise InventoryError(f"no cleanup of {kind} is waiting for confirmation")
        lease = SyncLease(self.store, ttl=self.lease_ttl)
        lease.acquire()
        try:
            self._run_id = self.store.start_run("cleanup", socket.gethostname(), os.getpid())
            self.store.start_type_run(self._run_id, kind, "cleanup")
            result = TypeResult(kind)
            result.counters.removed = self._apply_cleanup(kind, held.scope)
            result.state = "succeeded"
            self._finish_type(result)
            self.store.finish_run(self._run_id, "succeeded")
            return result.counters.removed
        finally:
            lease.release()

    def discard_cleanup(self, kind: str) -> None:
        """Drop a held-back cleanup: nothing is removed."""
        with self.store.transaction():
            self.store.drop_held(kind)
            if self.store.buildup(kind) is None:
                self.store.forget_tracked(kind)
        self._log("info", kind, f"{kind}: held-back cleanup discarded by the operator")
