"""The store's tables, as Peewee models bound per database.

Each `Store` binds its own copies of the models to its own database, so two stores (a SQLite file
and a PostgreSQL server, say, during a migration) can be open in one process at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee as pw


class _Base(pw.Model):
    class Meta:
        legacy_table_names = False


class DefinitionRow(_Base):
    """A definition (sections of typed fields) as JSON, written on first run."""

    name = pw.CharField(primary_key=True, max_length=32)
    title = pw.CharField()
    body = pw.TextField()  # Definition.to_json()
    created_at = pw.CharField(max_length=32)

    class Meta:
        table_name = "definition"


class Instance(_Base):
    """The active instances of all three definitions; `fields` is the JSON of every mapped field."""

    id = pw.BigAutoField()
    kind = pw.CharField(max_length=16)
    key = pw.CharField(max_length=255)
    name = pw.TextField(default="")
    status = pw.CharField(max_length=255, default="")
    type = pw.CharField(max_length=255, default="")
    site = pw.TextField(default="")
    fields = pw.TextField()
    digest = pw.CharField(max_length=32)
    created_at = pw.CharField(max_length=32)
    updated_at = pw.CharField(max_length=32)
    # What the search index holds for the row (`fts.search_text`); kept so the index can be told
    # exactly which words to drop when the row changes or goes (since schema 3).
    search_text = pw.TextField(default="")

    class Meta:
        table_name = "instance"
        indexes = (
            (("kind", "key"), True),
            (("kind", "name", "key"), False),
            (("kind", "status", "key"), False),
            (("kind", "type", "key"), False),
            (("kind", "site", "key"), False),
        )


class Revision(_Base):
    """One create, change or removal of an instance; stays after the instance is removed."""

    id = pw.BigAutoField()
    kind = pw.CharField(max_length=16)
    key = pw.CharField(max_length=255)
    at = pw.CharField(max_length=32)
    run = pw.BigIntegerField(null=True)
    change = pw.CharField(max_length=8)  # created | changed | removed
    name = pw.TextField(default="")
    # changed: {"field": [old, new], ...}; created/removed: the fields as created / as they were
    changes = pw.TextField()

    class Meta:
        table_name = "revision"
        # (at, id): the revisions of a time window, in order (`store.changes`; since schema 4)
        indexes = ((("kind", "key", "id"), False), (("kind", "id"), False), (("at", "id"), False))


class SyncRun(_Base):
    id = pw.BigAutoField()
    mode = pw.CharField(max_length=16)  # buildup | update | cleanup
    state = pw.CharField(max_length=16)  # running | succeeded | partial | failed | cancelled
    reason = pw.TextField(default="")
    host = pw.CharField(default="")
    pid = pw.IntegerField(default=0)
    started_at = pw.CharField(max_length=32)
    finished_at = pw.CharField(max_length=32, null=True)

    class Meta:
        table_name = "sync_run"


class TypeRun(_Base):
    """What one run did to one type: state and every counter of SPEC §4."""

    run = pw.BigIntegerField()
    kind = pw.CharField(max_length=16)
    mode = pw.CharField(max_length=16)
    state = pw.CharField(max_length=16)
    reason = pw.TextField(default="")
    pages = pw.IntegerField(default=0)
    gaps = pw.IntegerField(default=0)
    total = pw.BigIntegerField(null=True)
    received = pw.IntegerField(default=0)
    created = pw.IntegerField(default=0)
    updated = pw.IntegerField(default=0)
    unchanged = pw.IntegerField(default=0)
    skipped = pw.IntegerField(default=0)
    removed = pw.IntegerField(default=0)
    failed = pw.IntegerField(default=0)
    started_at = pw.CharField(max_length=32)
    finished_at = pw.CharField(max_length=32, null=True)

    class Meta:
        table_name = "type_run"
        primary_key = pw.CompositeKey("run", "kind")


class Buildup(_Base):
    """A buildup in progress for one type: the next page to fetch. Present means unfinished."""

    kind = pw.CharField(primary_key=True, max_length=16)
    run = pw.BigIntegerField()
    next_page = pw.IntegerField(default=1)
    pages_done = pw.IntegerField(default=0)
    received = pw.BigIntegerField(default=0)
    gaps = pw.IntegerField(default=0)
    started_at = pw.CharField(max_length=32)
    page_size = pw.IntegerField(default=0)  # since schema 2; 0: not recorded

    class Meta:
        table_name = "buildup"


class TrackedKey(_Base):
    """Keys seen by the buildup in progress (the connector's servicesids/carriersids/...)."""

    kind = pw.CharField(max_length=16)
    key = pw.CharField(max_length=255)

    class Meta:
        table_name = "tracked_key"
        primary_key = pw.CompositeKey("kind", "key")


class Gap(_Base):
    id = pw.BigAutoField()
    run = pw.BigIntegerField()
    kind = pw.CharField(max_length=16)
    page = pw.IntegerField()
    reason = pw.TextField()
    at = pw.CharField(max_length=32)
    # Since schema 6. A buildup's gap records the page size it was read with, so the page is read
    # again exactly (0: an update's gap, or one recorded before: not read again).
    page_size = pw.IntegerField(default=0)
    settled_at = pw.CharField(max_length=32, default="")  # read again, or a new buildup began

    class Meta:
        table_name = "gap"


class HeldCleanup(_Base):
    """A cleanup held back by the mass-delete guard, waiting for the operator."""

    kind = pw.CharField(primary_key=True, max_length=16)
    run = pw.BigIntegerField()
    scope = pw.CharField(max_length=16)  # buildup (untracked keys) | update (non-Operational)
    would_remove = pw.IntegerField()
    total = pw.IntegerField()
    at = pw.CharField(max_length=32)

    class Meta:
        table_name = "held_cleanup"


class LogEntry(_Base):
    """The sync event log, kept in the database so every console (and host) can show it."""

    id = pw.BigAutoField()
    at = pw.CharField(max_length=32)
    run = pw.BigIntegerField(null=True)
    level = pw.CharField(max_length=8)
    kind = pw.CharField(max_length=16, null=True)
    message = pw.TextField()

    class Meta:
        table_name = "log_entry"


class Lease(_Base):
    """The single-sync lease: at most one row per name, held by one process on one host."""

    name = pw.CharField(primary_key=True, max_length=32)
    holder = pw.CharField(max_length=64)
    host = pw.CharField()
    pid = pw.IntegerField()
    since = pw.CharField(max_length=32)
    expires = pw.DoubleField()

    class Meta:
        table_name = "lease"


class Meta_(_Base):
    """Schema version and other single values."""

    name = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()

    class Meta:
        table_name = "meta"


MODEL_CLASSES: tuple[type[_Base], ...] = (
    DefinitionRow,
    Instance,
    Revision,
    SyncRun,
    TypeRun,
    Buildup,
    TrackedKey,
    Gap,
    HeldCleanup,
    LogEntry,
    Lease,
    Meta_,
)


@dataclass(frozen=True)
class Models:
    """The model classes bound to one database."""

    # Typed as Any: Peewee's query builder is dynamic, and its stubs can't follow rows as tuples
    # or dicts.
    database: pw.Database
    definition: Any
    instance: Any
    revision: Any
    run: Any
    type_run: Any
    buildup: Any
    tracked: Any
    gap: Any
    held: Any
    log: Any
    lease: Any
    meta: Any

    @property
    def all(self) -> tuple[Any, ...]:
        return (
            self.definition,
            self.instance,
            self.revision,
            self.run,
            self.type_run,
            self.buildup,
            self.tracked,
            self.gap,
            self.held,
            self.log,
            self.lease,
            self.meta,
        )


def bind(database: pw.Database) -> Models:
    """Subclass every model with its Meta bound to `database`."""

    def sub(cls: type[_Base]) -> type:
        meta = type("Meta", (), {"database": database, "table_name": cls._meta.table_name})
        return type(cls.__name__, (cls,), {"Meta": meta, "__module__": cls.__module__})

    b = [sub(c) for c in MODEL_CLASSES]
    return Models(database, *b)
