"""Fetching a listing's pages with several in flight, handed back strictly in page order.

Processing in page order is what makes concurrent paging store exactly what sequential paging
stores: the pages merely arrive earlier. Pages fetched beyond the end of the listing are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from tui_inventory.errors import PageFailed
from tui_inventory.tmf.client import Page, TmfClient


class PageStream:
    """Iterate `(page_number, Page | PageFailed)` from `first`; call `stop()` when a page ends the
    listing. Other errors (AuthFailed, TypeFailed, Cancelled) are raised in page order."""

    def __init__(
        self,
        client: TmfClient,
        path: str,
        first: int,
        *,
        concurrency: int,
        updated_only: bool = False,
        max_pages: int = 100_000,
    ) -> None:
        self.client = client
        self.path = path
        self.first = first
        self.concurrency = max(1, concurrency)
        self.updated_only = updated_only
        self.max_pages = max_pages
        self._stopped = False

    def _fetch(self, number: int) -> Page:
        return self.client.fetch_page(self.path, number, updated_only=self.updated_only)

    def stop(self) -> None:
        self._stopped = True

    def __iter__(self) -> Iterator[tuple[int, Page | PageFailed]]:
        if self.concurrency == 1:
            yield from self._sequential()
            return
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="page")
        pending: dict[int, Future[Page]] = {}
        next_submit = self.first
        try:
            number = self.first
            while not self._stopped:
                while len(pending) < self.concurrency and self._may_fetch(next_submit):
                    pending[next_submit] = pool.submit(self._fetch, next_submit)
                    next_submit += 1
                future = pending.pop(number, None)
                if future is None:
                    return
                try:
                    page: Page | PageFailed = future.result()
                except PageFailed as exc:
                    page = exc
                yield number, page
                number += 1
        finally:
            for f in pending.values():
                f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def _may_fetch(self, number: int) -> bool:
        # Totals are unreliable (ServiceNow caps X-Total-Count), so only a short page or the
        # page cap ends a listing; the total is for progress alone.
        return number - self.first < self.max_pages

    def _sequential(self) -> Iterator[tuple[int, Page | PageFailed]]:
        number = self.first
        while not self._stopped and self._may_fetch(number):
            try:
                page: Page | PageFailed = self._fetch(number)
            except PageFailed as exc:
                page = exc
            yield number, page
            number += 1

    @property
    def capped(self) -> bool:
        """True when the page cap, not a short page, ended the stream (an endless listing)."""
        return not self._stopped
