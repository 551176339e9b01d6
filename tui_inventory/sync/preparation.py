"""Page preparation: a fetched page's entities mapped, de-duplicated (across pages too), skips
counted and logged, and what a stored page reports."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from tui_inventory.domain import FrozenCounters
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine_base import EngineBase
from tui_inventory.sync.results import TypeResult
from tui_inventory.sync.writer import PreparedPage
from tui_inventory.tmf.mapping import Mapped, Skip, entity_key, map_entity

log = logging.getLogger("tui_inventory.sync.engine")  # one logger for the engine's parts

LOGGED_PER_REASON = 20  # skips of one reason logged one by one per type; then only counted


class PagePreparation(EngineBase):
    def _prepare(
        self,
        kind: str,
        items: list[Any],
        seen: Callable[[list[str]], set[str]],
        result: TypeResult,
        skip_log: dict[str, int],
    ) -> list[Mapped]:
        """Skip null keys and repeats (first wins), map the rest."""
        dialect = self.config.sync.dialect
        counters = result.counters
        counters.received += len(items)
        keys = [entity_key(kind, raw, dialect=dialect) for raw in items]
        already = seen([k for k in keys if k])
        on_page: set[str] = set()
        out: list[Mapped] = []
        for raw, key in zip(items, keys, strict=True):
            if not key:
                counters.skipped += 1
                self._skip_log(
                    kind,
                    "null key",
                    "skipped an entity with a null or empty key (or a key that is not text or a number)",
                    skip_log,
                )
                continue
            if key in already or key in on_page:
                counters.skipped += 1
                self._skip_log(
                    kind,
                    "duplicate",
                    f"duplicate key {key!r} skipped (first occurrence kept)",
                    skip_log,
                )
                continue
            on_page.add(key)
            try:
                out.append(
                    map_entity(kind, raw, dialect=dialect, service_status=self.store.service_status)
                )
            except Skip as exc:
                counters.skipped += 1
                self._skip_log(
                    kind, exc.reason.split(" ")[0], f"{key!r} skipped: {exc.reason}", skip_log
                )
            except Exception as exc:  # one malformed entity never sinks its page
                counters.failed += 1
                self._skip_log(
                    kind, "failed", f"{key!r} could not be mapped: {type(exc).__name__}", skip_log
                )
        return out

    def _skip_log(self, kind: str, reason: str, message: str, skip_log: dict[str, int]) -> None:
        n = skip_log.get(reason, 0) + 1
        skip_log[reason] = n
        # Dropping the excluded resource types is the rule working, not a problem upstream.
        level = "info" if reason == "filtered" else "warning"
        if n <= LOGGED_PER_REASON:
            self._log(level, kind, f"{kind}: {message}")
        elif n == LOGGED_PER_REASON + 1:
            self._log(
                level,
                kind,
                f"{kind}: more entities skipped for the same reason ({reason}); only counted from now on",
            )

    def _page_stored(
        self, kind: str, result: TypeResult, page: PreparedPage, started: float
    ) -> None:
        # As of this page: pages are prepared ahead of storing, so the type's received, skipped
        # and failed counts have run ahead of what is stored; the page's tally has them as of it.
        received, skipped, failed = page.tally
        c = result.counters
        counters = FrozenCounters(
            received=received,
            created=c.created,
            updated=c.updated,
            unchanged=c.unchanged,
            skipped=skipped,
            removed=c.removed,
            failed=failed,
        )
        self._emit(
            ev.PageStored(
                self._run_id,
                kind,
                page.number,
                page.received,
                result.pages,
                counters,
                page.total,
                time.monotonic() - started,
            )
        )
