"""Fetching a listing's pages with several in flight, handed back strictly in page order.

Processing in page order is what makes concurrent paging store exactly what sequential paging
stores: the pages merely arrive earlier. Pages fetched beyond the end of the listing are dropped.

Two upstream failures end here rather than in a run that never finishes or a cleanup that removes
what still exists: pages that keep failing (a network that swallows every request, a gateway that
times out on everything) give the type up after `max_failed_in_a_row` of them, and a page served
twice in a row (an upstream that ignores the page number, a cache that answers the wrong page) is
fetched once more and then counted as a failed page, because the entities it stood for were never
received.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from tui_inventory.domain import Counters
from tui_inventory.errors import PageFailed, TypeFailed
from tui_inventory.tmf.client import Page, TmfClient

MAX_FAILED_IN_A_ROW = 5


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
        max_failed_in_a_row: int = MAX_FAILED_IN_A_ROW,
    ) -> None:
        self.client = client
        self.path = path
        self.first = first
        self.concurrency = max(1, concurrency)
        self.updated_only = updated_only
        self.max_pages = max_pages
        self.max_failed_in_a_row = max(1, max_failed_in_a_row)
        self._stopped = False
        self._failed_in_a_row = 0
        self._previous: Page | None = None

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
                yield number, self._checked(number, page)
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
            yield number, self._checked(number, page)
            number += 1

    def _checked(self, number: int, page: Page | PageFailed) -> Page | PageFailed:
        """The page as the listing may use it; raises TypeFailed when too many fail in a row."""
        previous = self._previous
        if isinstance(page, Page) and previous is not None and _same(page, previous):
            try:
                page = self._fetch(number)  # once more: a glitch of a cache or gateway passes
            except PageFailed as exc:
                page = exc
            if isinstance(page, Page) and _same(page, previous):
                page = PageFailed(
                    self.client.api,
                    f"page {number} came back the same as page {previous.number} (an upstream "
                    "that serves one page twice); its own entities were not received",
                    page=number,
                )
        if isinstance(page, Page):
            self._failed_in_a_row = 0
            self._previous = page
            return page
        self._previous = None
        self._failed_in_a_row += 1
        if self._failed_in_a_row >= self.max_failed_in_a_row:
            raise TypeFailed(
                self.client.api,
                f"{self._failed_in_a_row} pages in a row failed, the last with: {page.message}; "
                "giving up this type for this run (no cleanup)",
            )
        return page

    @property
    def capped(self) -> bool:
        """True when the page cap, not a short page, ended the stream (an endless listing)."""
        return not self._stopped


def strays_gap(page: Page, counters: Counters) -> tuple[str, str] | None:
    """A page's entries that are not JSON objects, counted as received and skipped: what to log,
    and the page's gap reason (no cleanup may trust a listing that lost entities); None if none."""
    if not page.strays:
        return None
    counters.received += page.strays
    counters.skipped += page.strays
    n = len(page.items) + page.strays
    message = f"{page.strays} of {n} entities on page {page.number} are not JSON objects"
    return message, f"{message}; the {len(page.items)} others were stored"


def _same(page: Page, previous: Page) -> bool:
    return (
        bool(page.items) and len(page.items) == len(previous.items) and page.items == previous.items
    )
