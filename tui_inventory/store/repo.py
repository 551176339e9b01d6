"""The inventory store: instances and their revisions, runs, buildup state, gaps, the sync log.

Writes happen in short immediate transactions (one page, at most 100 instances a batch); readers
never block the writer (SQLite WAL). Everything the console shows is read through this class.

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

from tui_inventory.store.bookkeeping import BookkeepingStore
from tui_inventory.store.deferred import DeferredIndexes
from tui_inventory.store.history import HistoryStore
from tui_inventory.store.pages import PageStore
from tui_inventory.store.progress import LiveProgress, live_progress
from tui_inventory.store.records import (  # importable from here, as before the split
    BATCH,
    KEY_CHUNK,
    BuildupRecord,
    Encoded,
    HeldRecord,
    InstanceRecord,
    RevisionRecord,
    chunked,
    digest_of,
    dumps,
    encode,
    now_iso,
)

__all__ = [
    "BATCH",
    "KEY_CHUNK",
    "BuildupRecord",
    "Encoded",
    "HeldRecord",
    "InstanceRecord",
    "RevisionRecord",
    "Store",
    "chunked",
    "digest_of",
    "dumps",
    "encode",
    "now_iso",
]


class Store(PageStore, HistoryStore, BookkeepingStore, DeferredIndexes):
    """One inventory database (a SQLite file or a PostgreSQL database)."""

    def live_progress(self) -> LiveProgress:
        """What the sync is doing (per inventory: its type run's state, counters, pages, total;
        the lease holder), read from the database: for a console on another process or host."""
        with self.snapshot():  # its figures all from one state, however fast the sync commits
            return live_progress(self)
