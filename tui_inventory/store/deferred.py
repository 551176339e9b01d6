"""A first buildup's sort indexes: built once when it ends instead of row by row as it goes.

A buildup into an empty SQLite inventory drops the instance table's sort indexes, so each row is
written once into the table and its key index alone; when the buildup ends (or is cancelled, or
fails) they are built in one go. The search index is kept as rows arrive: the store process has
the time for it while the sync fetches and maps the next pages, where building it at the end
would add to the buildup's wall time (at 200,000 resources here, twice what the sort indexes
take). A meta row marks the deferral, so a killed buildup keeps deferring when it resumes. See
docs/architecture.md.
"""

from __future__ import annotations

from tui_inventory.store import fts, schema
from tui_inventory.store.base import StoreBase


class DeferredIndexes(StoreBase):
    def indexes_deferred(self) -> bool:
        """Whether a first buildup has deferred the sort indexes (see `defer_indexes`). A sync
        asks before it writes: a buildup of an earlier version that deferred the search index
        too gets it built here, so what follows (changes, removals) finds each row indexed."""
        if schema.search_deferred(self.db):
            with self.transaction():
                if schema.search_deferred(self.db):
                    fts.rebuild(self.db)
                    self.m.meta.update(value=schema.SORT_ONLY).where(
                        self.m.meta.name == schema.INDEXES_DEFERRED
                    ).execute()
        self._search_deferred = False
        return schema.indexes_deferred(self.db)

    def defer_indexes(self) -> bool:
        """Before a first buildup into an empty SQLite inventory: drop the instance table's sort
        indexes (the unique one on kind and key stays); `build_deferred_indexes` builds them once,
        when it ends. Until then the tables sort by a column without an index. Whether it
        deferred."""
        if self.is_postgres:
            return False
        with self.transaction():
            if self.db.execute_sql("SELECT 1 FROM instance LIMIT 1").fetchone() is not None:
                return False
            names = self.db.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instance' "
                "AND sql IS NOT NULL AND name != 'instance_kind_key'"
            ).fetchall()
            for (name,) in names:
                self.db.execute_sql(f'DROP INDEX "{name}"')
            self.m.meta.insert(
                name=schema.INDEXES_DEFERRED, value=schema.SORT_ONLY
            ).on_conflict_ignore().execute()
        return True

    def build_deferred_indexes(self) -> None:
        """Build what `defer_indexes` deferred, the sort indexes — and the search index and the
        counts afresh from the table when a buildup of an earlier version deferred those too —
        in one transaction (readers see the table meanwhile)."""
        with self.transaction():
            search = schema.search_deferred(self.db)
            self.m.meta.delete().where(self.m.meta.name == schema.INDEXES_DEFERRED).execute()
            self.db.create_tables([self.m.instance], safe=True)
            fts.ensure(self.db)
            if search:
                fts.rebuild(self.db)
        self._search_deferred = False
