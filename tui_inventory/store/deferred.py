"""A first buildup's indexes: built once when it ends instead of row by row as it goes.

A buildup into an empty SQLite inventory drops the instance table's sort indexes and stops
indexing new rows for search, so each row is written once; when the buildup ends (or is cancelled,
or fails) they are built in one go: a third of the store's work in a buildup. A meta row marks the
deferral, so a killed buildup keeps deferring when it resumes. See docs/architecture.md.
"""

from __future__ import annotations

from tui_inventory.store import fts, schema
from tui_inventory.store.base import StoreBase
from tui_inventory.store.records import now_iso


class DeferredIndexes(StoreBase):
    def indexes_deferred(self) -> bool:
        """Whether a first buildup has deferred the sort and search indexes (see `defer_indexes`)."""
        self._indexes_deferred = schema.indexes_deferred(self.db)
        return self._indexes_deferred

    def defer_indexes(self) -> bool:
        """Before a first buildup into an empty SQLite inventory: drop the instance table's sort
        indexes (the unique one on kind and key stays) and index new rows for search no more;
        `build_deferred_indexes` builds both once, when it ends. Until then the tables sort by a
        column without an index and search does not find the new rows. Whether it deferred."""
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
                name=schema.INDEXES_DEFERRED, value=now_iso()
            ).on_conflict_ignore().execute()
        self._indexes_deferred = True
        return True

    def build_deferred_indexes(self) -> None:
        """Build what `defer_indexes` deferred: the sort indexes, then the search index and the
        counts afresh from the table, in one transaction (readers see the table meanwhile)."""
        with self.transaction():
            self.m.meta.delete().where(self.m.meta.name == schema.INDEXES_DEFERRED).execute()
            self.db.create_tables([self.m.instance], safe=True)
            fts.ensure(self.db)
            fts.rebuild(self.db)
        self._indexes_deferred = False
