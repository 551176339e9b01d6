"""Storing prepared pages strictly in page order, off the thread that fetches and maps them.

Each page is one transaction that also records its bookkeeping — the keys seen and the next page
to fetch in a buildup, the type run's counters — so a killed sync resumes exactly after the last
stored page (`write_page`). Pages of one stream are committed in the order they were put; a page
not committed yet has its keys in `pending()`, so de-duplication across pages sees them.

Two transports carry pages to `write_page`, both behind `PageSink.stream()`:
- `StoreProcess` (`tui_inventory.sync.store_process`): a process of its own that owns the store's
  page writes for a whole run, both APIs' streams. Fetching, decoding and mapping hold the
  interpreter lock of the sync's process; storing a page costs as much again, mostly in SQLite but
  with enough Python around each statement that a writer thread spends its time waiting for the
  lock behind the fetchers. In a process of its own the store runs on the other core at full speed.
  Buildups use it: they store every instance of the inventory.
- `ThreadSink`: a thread per stream in the sync's own process, for updates (a few pages each) and
  wherever a child process cannot be started.

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tui_inventory.domain import Counters
from tui_inventory.errors import StoreError
from tui_inventory.store.repo import Encoded, Store, encode
from tui_inventory.tmf.mapping import Mapped

QUEUE_DEPTH = 2  # pages queued for a writer thread beyond the one it stores


@dataclass(frozen=True)
class PreparedPage:
    """One page ready to store, with what its transaction records about the type run."""

    number: int
    items: Sequence[Mapped | Encoded]
    received: int  # entities on the page, skipped ones included
    total: int | None
    failure: str | None = None  # a gap: the reason; nothing to store, only the bookkeeping
    # The type run as of this page: entities received, skipped and failed (counted as pages are
    # prepared), and pages stored and gaps including this one.
    tally: tuple[int, int, int] = (0, 0, 0)
    pages: int = 0
    gaps: int = 0


@dataclass(frozen=True)
class StreamSpec:
    """What a stream of pages belongs to: inventory, run, and whether it is a buildup."""

    kind: str
    run: int
    buildup: bool
    lease: str | None = None  # the holder id of the sync's lease: a page commits only under it
    page_size: int = 0  # a buildup's: recorded with its gaps, so they are read again exactly


def write_page(store: Store, spec: StreamSpec, page: PreparedPage, stored: Counters) -> Counters:
    """Store one page and its bookkeeping in one transaction; returns what the store did with its
    instances. `stored` accumulates that over the stream (the type run's row records it)."""
    return write_pages(store, spec, [page], stored)[0]


def write_pages(
    store: Store, spec: StreamSpec, pages: Sequence[PreparedPage], stored: Counters
) -> list[Counters]:
    """Store consecutive pages of one stream and the bookkeeping of each in one transaction
    (the keys seen and the next page to fetch advance with every page, so when the transaction
    commits the buildup's resume point is exactly after its last page, and when it does not,
    exactly where it was); returns, page by page, what the store did with their instances."""
    kind = spec.kind
    out: list[Counters] = []
    run_counters = Counters()
    with store.transaction():
        if spec.lease is not None and not store.holds_lease(spec.lease):
            # Another sync took the lease over (ours expired): its buildup state is its own now.
            raise StoreError(
                f"{kind}: the sync lease was taken over by another sync; page {pages[0].number} "
                "and the ones after it were not stored"
            )
        total = Counters(created=stored.created, updated=stored.updated)
        total.unchanged = stored.unchanged
        for page in pages:
            # A gap stores what it could read all the same (a page partly junk keeps its valid
            # entities); the gap is what keeps the cleanup from trusting the listing.
            stores = page.failure is None or bool(page.items)
            counters = store.store_page(kind, spec.run, page.items) if stores else Counters()
            if page.failure is not None:
                size = spec.page_size if spec.buildup else 0
                store.record_gap(spec.run, kind, page.number, page.failure, size)
            if spec.buildup:
                store.track(kind, [m.key for m in page.items])
                store.advance_buildup(
                    kind,
                    next_page=page.number + 1,
                    received=page.received,
                    gap=page.failure is not None,
                )
            total.created += counters.created
            total.updated += counters.updated
            total.unchanged += counters.unchanged
            out.append(counters)
        last = pages[-1]
        received, skipped, failed = last.tally
        run_counters = Counters(
            received=received,
            created=total.created,
            updated=total.updated,
            unchanged=total.unchanged,
            skipped=skipped,
            failed=failed,
        )
        store.update_type_run(
            spec.run, kind, run_counters, pages=last.pages, gaps=last.gaps, total=last.total
        )
    stored.created, stored.updated = run_counters.created, run_counters.updated
    stored.unchanged = run_counters.unchanged
    return out


OnStored = Callable[[PreparedPage, Counters], None]


class PageWriter(Protocol):
    """One stream of pages: `put()` them in page order, `close()` when done."""

    def put(self, page: PreparedPage) -> None: ...

    def pending(self) -> set[str]: ...

    def close(self) -> None: ...


class PageSink(Protocol):
    def stream(self, spec: StreamSpec, on_stored: OnStored) -> PageWriter: ...

    def cancel(self) -> None:
        """The sync was cancelled: pages put and not stored yet are dropped (the one being
        stored is finished). A buildup resumes after the last page stored."""

    def close(self) -> None: ...


class Pending:
    """Keys of the pages put but not committed yet, and the first error of the stream."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[str] = set()  # unique: pages are de-duplicated against these
        self.error: BaseException | None = None

    def add(self, page: PreparedPage) -> None:
        with self._lock:
            self._keys.update(m.key for m in page.items)

    def done(self, page: PreparedPage) -> None:
        with self._lock:
            self._keys.difference_update(m.key for m in page.items)

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._keys)

    def fail(self, exc: BaseException) -> None:
        self.error = self.error or exc

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


class ThreadWriter:
    """A stream stored by a thread of the sync's process (see the module's docstring)."""

    def __init__(self, store: Store, spec: StreamSpec, on_stored: OnStored) -> None:
        self._store = store
        self._spec = spec
        self._on_stored = on_stored
        self._stored = Counters()
        self._queue: queue.Queue[PreparedPage | None] = queue.Queue(QUEUE_DEPTH)
        self._pending = Pending()
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name=f"store-{spec.kind}", daemon=True)
        self._thread.start()

    def pending(self) -> set[str]:
        """Keys of pages queued but not committed yet (a copy, taken before reading the store)."""
        return self._pending.keys()

    def put(self, page: PreparedPage) -> None:
        self._pending.raise_error()
        self._pending.add(page)
        while True:
            try:
                self._queue.put(page, timeout=0.5)
                return
            except queue.Full:
                self._pending.raise_error()

    def cancel(self) -> None:
        self._cancelled = True

    def close(self) -> None:
        """Store what is queued, stop the thread, re-raise what went wrong in it."""
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._pending.raise_error()

    def _run(self) -> None:
        try:
            while (page := self._queue.get()) is not None:
                if self._pending.error is not None:
                    continue  # drain without storing after a failure
                if self._cancelled:
                    self._pending.done(page)  # dropped: fetched again when the buildup resumes
                    continue
                try:
                    counters = write_page(self._store, self._spec, page, self._stored)
                    self._pending.done(page)
                    self._on_stored(page, counters)
                except BaseException as exc:
                    self._pending.fail(exc)
        finally:
            try:
                self._store.db.close()  # this thread's connection
            except Exception as exc:
                self._pending.fail(exc)


class ThreadSink:
    """Streams stored by threads of the sync's own process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._writers: list[ThreadWriter] = []

    def stream(self, spec: StreamSpec, on_stored: OnStored) -> PageWriter:
        writer = ThreadWriter(self.store, spec, on_stored)
        self._writers.append(writer)
        return writer

    def cancel(self) -> None:
        for writer in self._writers:
            writer.cancel()

    def close(self) -> None:
        pass


def rows_of(items: Sequence[Mapped | Encoded]) -> list[tuple[Any, ...]]:
    """A page's instances encoded (`Encoded`: fields as JSON, search text made) as plain tuples
    of strings, for the pipe to the store process: the encoding is done here, in the sync's
    process, so the store process only writes; and a tuple of strings pickles in a fraction of
    the time of nested dicts (or of NamedTuples inside a dataclass)."""
    return [tuple(m if isinstance(m, Encoded) else encode(m)) for m in items]


def encoded_of(rows: Sequence[tuple[Any, ...]]) -> list[Encoded]:
    return [Encoded._make(r) for r in rows]


def page_to_wire(page: PreparedPage) -> tuple[Any, ...]:
    """`page` as plain tuples for the pipe to the store process (`page_from_wire` reverses it)."""
    return (
        page.number,
        rows_of(page.items),
        page.received,
        page.total,
        page.failure,
        page.tally,
        page.pages,
        page.gaps,
    )


def page_from_wire(data: tuple[Any, ...]) -> PreparedPage:
    number, rows, received, total, failure, tally, pages, gaps = data
    return PreparedPage(number, encoded_of(rows), received, total, failure, tally, pages, gaps)
