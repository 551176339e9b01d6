"""A store opened so that it cannot be written: what `verify` reads (SPEC §11).

A SQLite file is opened with `mode=ro` (no schema upkeep, no journal mode change: the file stays
byte for byte as it was); a PostgreSQL session has `default_transaction_read_only` on. The schema
must be current already (a sync or `status` makes it so). Besides the `Store` reads, it answers
the two questions a verify asks, each a bounded batch: the stored rows of a page's keys, and the
stored keys in key order (a keyset walk, to find what upstream no longer lists).
"""

from __future__ import annotations

import sqlite3
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
    refuse_foreign_file,
    sqlite_path,
)
from tui_inventory.store.failures import SqliteDatabase, store_error
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
    refuse_foreign_file(path)  # a file that is not SQLite: the sentence every command gives
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
    db = SqliteDatabase(
        uri,
        uri=True,
        pragmas={"busy_timeout": 30000, "cache_size": -16000},
        check_same_thread=False,
    )
    try:
        db.connect()
    except (pw.DatabaseError, sqlite3.Error) as exc:  # a damaged file: the sentence all give
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        error = store_error(exc, str(path))
        raise error or StoreError(f"cannot open the database {path} to read: {first}") from None
    return db


class ReadOnlyStore(Store):
    """A `Store` that only reads (writes fail); see the module's docstring."""

    def __init__(self, url: str) -> None:  # Store's, with the database opened read-only
        path = None if is_postgres_url(url) else sqlite_path(url)
        # A read-only connection to a WAL file creates its -wal and -shm files and cannot delete
        # them when it closes: on a damaged file refused here, those it made are removed, so the
        # operator's directory is left as it was.
        made = [] if path is None else [Path(f"{path}{e}") for e in ("-wal", "-shm")]
        made = [f for f in made if not f.exists()]
        try:
            self._open(url)
        except StoreError:
            for f in made:
                f.unlink(missing_ok=True)
            raise

    def _open(self, url: str) -> None:
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
            where = str(sqlite_path(url) or describe(url))
            error = store_error(exc, where)
            raise error or StoreError(f"{where} is not a tui-inventory store: {exc}") from None
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
