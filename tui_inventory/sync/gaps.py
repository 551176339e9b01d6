"""Gaps read again: a page a buildup could not read (SPEC §3: "record a gap for that page and go on
with the next page") is read again when the next run of its type starts, before anything else.

A buildup's gap records the page number and the page size it was read with, so the same slice of
the listing is asked for again, whatever `sync.records_per_page` says now. A page that now reads is
stored as a buildup page is (its keys tracked while that buildup is still in progress, so its
cleanup counts them as seen) and the gap is settled, in one transaction; one that fails again stays
recorded for the run after. An update's gaps are not read again (its pages are the last day's
changes, which the next update asks for anyway), nor those of a buildup a new one replaced.
"""

from __future__ import annotations

from tui_inventory.errors import Cancelled, PageFailed, StoreError
from tui_inventory.sync.preparation import PagePreparation
from tui_inventory.sync.results import TypeResult, _merge
from tui_inventory.tmf.client import Page, TmfClient


class GapRepair(PagePreparation):
    def _read_gaps_again(self, kind: str, client: TmfClient, result: TypeResult) -> tuple[int, int]:
        """Read the open gaps of `kind` again and store the pages that now read; returns how many
        were stored and how many failed again (they stay recorded). A buildup of `kind` in progress tracks their keys and
        counts one gap fewer for each page stored."""
        store = self.store
        gaps = store.open_gaps(kind)
        if not gaps:
            return 0, 0
        in_buildup = store.buildup(kind) is not None
        self._log(
            "info",
            kind,
            f"{kind}: reading {len(gaps)} page(s) again that an earlier run could not read "
            f"(gaps): {', '.join(str(g['page']) for g in gaps)}",
        )
        skip_log: dict[str, int] = {}
        read: set[str] = set()  # keys stored by these pages (an update tracks none in the store)

        def seen(keys: list[str]) -> set[str]:
            already = read.intersection(keys)
            if in_buildup:
                already |= store.tracked_among(kind, keys)
            return already

        failed = 0
        path = self.config.path_for(kind)
        size = client.page_size
        for gap in gaps:
            if self.cancelled:
                raise Cancelled()
            client.page_size = gap["page_size"]
            try:
                page: Page | PageFailed = client.fetch_page(path, gap["page"])
            except PageFailed as exc:
                page = exc
            finally:
                client.page_size = size
            number = gap["page"]
            if isinstance(page, PageFailed) or page.strays:
                failed += 1
                why = page.message if isinstance(page, PageFailed) else "entities not JSON objects"
                self._log(
                    "error",
                    kind,
                    f"{kind}: page {number} (a gap) failed again: {why}; it stays recorded and "
                    "the next run reads it again (no cleanup until then)",
                )
                continue
            mapped = self._prepare(kind, page.items, seen, result, skip_log)
            read.update(m.key for m in mapped)
            with store.transaction():
                holder = self._lease_holder
                if holder is not None and not store.holds_lease(holder):
                    raise StoreError(
                        f"{kind}: the sync lease was taken over by another sync; page {number} "
                        "was not stored"
                    )
                counters = store.store_page(kind, self._run_id, mapped)
                if in_buildup:
                    store.track(kind, [m.key for m in mapped])
                store.settle_gap(gap["id"], kind)
            _merge(result.counters, counters)
            self._log(
                "info",
                kind,
                f"{kind}: page {number} (a gap) read again: {len(page.items)} entities, "
                f"{counters.created} created, {counters.updated} updated",
            )
        return len(gaps) - failed, failed
