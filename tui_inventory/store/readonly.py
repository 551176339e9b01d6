"""A store opened so that it cannot be written: what `verify` reads (SPEC §11).

A SQLite file is opened with `mode=ro` (no schema upkeep, no journal mode change: the file stays
byte for byte as it was); a PostgreSQL session has `default_transaction_read_only` on. The schema
must be current already (a sync or `status` makes it so). Besides the `Store` reads, it answers
the two questions a verify asks, each a bounded batch: the stored rows of a page's keys, and the
stored keys in key order (a keyset walk, to find what upstream no longer lists).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import peewee as pw
from playhouse.db_url import parse

from tui_inventory.errors import StoreError
from tui_inventory.store import schema
from tui_inventory.store.db import (
    POSTGRES_DEFAULTS,
    PostgresDatabase,
    describe,
    is_postgres_url,
    sqlite_path,
)
from tui_inventory.store.failures import SqliteDatabase
from tui_inventory.store.models import bind
from tui_inventory.store.repo import KEY_CHUNK, Store, chunked

KEY_BATCH = 1000


def open_read_only(url: str) -> pw.Database:
    if is_postgres_url(url):
        params = parse(url, unquote_password=True, unquote_user=True)
        for name, value in POSTGRES_DEFAULTS.items():
            params.setdefault(name, value)
        params["options"] = "-c default_transaction_read_only=on"
        db: pw.Database = PostgresDatabase(**params)
        try:
            db.connect()
        except pw.OperationalError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StoreError(f"cannot connect to PostgreSQL at {describe(url)}: {first}") from None
        return db
    path = sqlite_path(url)
    assert path is not None
    if not Path(path).is_file():
        raise StoreError(f"there is no store at {path}: run `tui-inventory sync --once` first")
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
    db = SqliteDatabase(
        uri,
        uri=True,
        pragmas={"busy_timeout": 30000, "cache_size": -16000},
        check_same_thread=False,
    )
    try:
        db.connect()
    except pw.OperationalError as exc:
        raise StoreError(f"cannot open the database {path} to read: {exc}") from None
    return db


class ReadOnlyStore(Store):
    """A `Store` that only reads (writes fail); see the module's docstring."""

    def __init__(self, url: str) -> None:  # Store's, with the database opened read-only
        self.url = url
        self.db = open_read_only(url)
        self.m = bind(self.db)
        self._type_run_columns = frozenset(self.m.type_run._meta.columns)
        self.is_postgres = is_postgres_url(url)
        p = self.db.param
        self._service_status_sql = f'SELECT status FROM instance WHERE kind = {p} AND "key" = {p}'
        try:
            current = schema.is_current(self.db)
        except pw.DatabaseError as exc:
            self.close()
            raise StoreError(f"{describe(url)} is not a tui-inventory store: {exc}") from None
        if not current:
            self.close()
            raise StoreError(
                f"the store {describe(url)} is not at this tui-inventory's schema: "
                "open it once with `tui-inventory status` (which upgrades it)"
            )

    def _ensure_schema(self) -> None:
        raise AssertionError("a read-only store never changes its schema")

    def stored_rows(self, kind: str, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """key -> (status, fields JSON) of the stored instances of `kind` among `keys`."""
        out: dict[str, tuple[str, str]] = {}
        p = self.db.param
        for part in chunked(list(keys), KEY_CHUNK):
            sql = (
                'SELECT "key", status, fields FROM instance '
                f'WHERE kind = {p} AND "key" IN ({self._in(len(part))})'
            )
            for key, status, fields in self._rows(sql, [kind, *part]):
                out[key] = (status, fields)
        return out

    def key_batches(self, kind: str, batch: int = KEY_BATCH) -> Iterator[list[str]]:
        """The stored keys of `kind` in key order, `batch` at a time (by the (kind, key) index)."""
        p = self.db.param
        last = ""
        while True:
            sql = (
                f'SELECT "key" FROM instance WHERE kind = {p} AND "key" > {p} '
                f'ORDER BY "key" LIMIT {int(batch)}'
            )
            keys = [k for (k,) in self._rows(sql, [kind, last])]
            if keys:
                yield keys
            if len(keys) < batch:
                return
            last = keys[-1]
