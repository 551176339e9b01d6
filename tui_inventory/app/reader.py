"""Reading the store off the screen's thread: a widget's one reader thread and connection.

The row on screen: docs/architecture.md §8.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from textual.app import App

from tui_inventory.store.db import is_interrupted
from tui_inventory.store.repo import Store

T = TypeVar("T")


class Reader:
    """The one thread, and so the one database connection, a table reads with: its page cache
    stays warm from one read to the next (a new connection per read would start cold), and a
    newer query can interrupt an older one still running on it."""

    CACHE_KIB = 16_000  # the connection's page cache: the OS caches the file as well

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="table-reader")
        self._connection: Any = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn, args)

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._connection is None and not self.store.is_postgres:
            self._connection = self.store.db.connection()  # this thread's own
            self._connection.execute(f"PRAGMA cache_size = -{self.CACHE_KIB}")
        return fn(*args)

    def interrupt(self) -> None:
        """Stop the statement running on the reader now, if any (SQLite)."""
        if self._connection is not None:
            self._connection.interrupt()

    @staticmethod
    def interrupted(error: BaseException | None) -> bool:
        return is_interrupted(error)

    def close(self) -> None:
        self.interrupt()
        self._pool.submit(self.store.db.close)  # closes the reader thread's connection
        self._pool.shutdown(wait=False)


def store_of(app: App[Any]) -> Store:
    """The app's store (the console app has one; widgets are typed against any App)."""
    return cast(Store, app.store)  # type: ignore[attr-defined]
