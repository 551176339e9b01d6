"""Storing prepared pages on a thread of their own, strictly in page order.

While the engine maps page N+1 (Python), the writer stores page N (mostly SQLite, which runs
without the interpreter lock), so the two overlap on two cores. Each page is still one
transaction, committed in page order with its buildup bookkeeping, exactly as sequential code
would; a page the writer has not committed yet has its keys in `pending`, so de-duplication across
pages sees them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tui_inventory.errors import PageFailed
from tui_inventory.tmf.mapping import Mapped

QUEUE_DEPTH = 2


@dataclass(frozen=True)
class PreparedPage:
    number: int
    items: Sequence[Mapped]
    received: int  # entities on the page, skipped ones included
    total: int | None
    failure: PageFailed | None = None  # a gap: nothing to store, only the bookkeeping


class PageWriter:
    """Feed with `put()`; `close()` waits for the queue to drain and re-raises a writer error."""

    def __init__(
        self,
        store_one: Callable[[PreparedPage], None],
        name: str,
        on_exit: Callable[[], object] | None = None,
    ) -> None:
        self._store_one = store_one
        self._on_exit = on_exit  # e.g. close this thread's database connection
        self._queue: queue.Queue[PreparedPage | None] = queue.Queue(QUEUE_DEPTH)
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def pending(self) -> set[str]:
        """Keys of pages queued but not committed yet (a copy, taken before reading the store)."""
        with self._lock:
            return set(self._pending)

    def put(self, page: PreparedPage) -> None:
        self.raise_error()
        with self._lock:
            self._pending.update(m.key for m in page.items)
        while True:
            try:
                self._queue.put(page, timeout=0.5)
                return
            except queue.Full:
                self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Store what is queued, stop the thread, re-raise what went wrong in it."""
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self._thread.join()
        self.raise_error()

    def _run(self) -> None:
        try:
            self._drain()
        finally:
            if self._on_exit is not None:
                try:
                    self._on_exit()
                except Exception as exc:
                    self.error = self.error or exc

    def _drain(self) -> None:
        while True:
            page = self._queue.get()
            if page is None:
                return
            if self.error is not None:
                continue  # drain without storing after a failure
            try:
                self._store_one(page)
            except BaseException as exc:
                self.error = exc
            finally:
                with self._lock:
                    self._pending.difference_update(m.key for m in page.items)
