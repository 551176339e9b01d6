"""Opening a database from a path or URL: SQLite (WAL, immediate writes) or PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import peewee as pw
from playhouse.db_url import connect

from tui_inventory.errors import StoreError

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "busy_timeout": 30000,
    "foreign_keys": 1,
    "cache_size": -64000,  # 64 MB
    "temp_store": "memory",
}


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def describe(url: str) -> str:
    """The database's address for the screen, with any password masked."""
    if is_postgres_url(url):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        if parts.password is not None:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
    return url


def open_database(url: str) -> pw.Database:
    """Connect to `url`: a SQLite file path (or `sqlite:///path`) or a `postgresql://` URL."""
    if is_postgres_url(url):
        try:
            db = connect(url, autorollback=True)
            db.connect()
        except pw.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot connect to PostgreSQL at {describe(url)}: {first}") from None
        except ImportError:
            raise StoreError(
                "PostgreSQL support needs psycopg2: pip install 'tui-inventory[postgres]'"
            ) from None
        return db
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    if path == ":memory:":
        raise StoreError("an in-memory database cannot be shared by the sync and the console")
    file = Path(path).expanduser()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the database directory {file.parent}: {exc.strerror}"
        ) from None
    if file.exists() and not os.access(file, os.W_OK):
        raise StoreError(f"the database {file} is read-only for this user")
    if not os.access(file.parent, os.W_OK):
        raise StoreError(
            f"the database directory {file.parent} is read-only: SQLite needs to write its journal there"
        )
    db = pw.SqliteDatabase(str(file), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    try:
        db.connect()
    except pw.OperationalError as exc:
        raise StoreError(f"cannot open the database {file}: {exc}") from None
    return db


@contextlib.contextmanager
def write_transaction(db: pw.Database) -> Iterator[None]:
    """A write transaction that takes the write lock at once (SQLite IMMEDIATE), so two writers
    queue on busy_timeout instead of failing with 'database is locked' half-way."""
    if isinstance(db, pw.SqliteDatabase):
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield
