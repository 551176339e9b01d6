"""Opening a database from a path or URL: SQLite (WAL, immediate writes) or PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import peewee as pw
from playhouse.db_url import parse
from playhouse.shortcuts import ReconnectMixin

from tui_inventory.config import db_url_problem
from tui_inventory.errors import StoreError
from tui_inventory.store.failures import SqliteDatabase, store_error
from tui_inventory.text import plain

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "busy_timeout": 30000,
    "foreign_keys": 1,
    "cache_size": -64000,  # 64 MB
    "temp_store": "memory",
    "wal_autocheckpoint": 10000,  # fewer checkpoints (each one syncs the disk) while pages commit
}


# libpq settings a long-running sync needs and a bare URL lacks; any the URL sets win. Keepalives
# let a dropped network surface as an error within a minute instead of a read that never returns.
POSTGRES_DEFAULTS: dict[str, object] = {
    "connect_timeout": 10,
    "application_name": "tui-inventory",
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    # JIT compiles a plan in tens of milliseconds: a loss for every query this program runs.
    "options": "-c jit=off",
}


class PostgresDatabase(ReconnectMixin, pw.PostgresqlDatabase):  # type: ignore[misc]
    """PostgreSQL that reconnects when the server dropped an idle connection (a restart, a
    failover, a proxy's idle timeout). Only outside a transaction: a transaction cut off is an
    error for the caller, whose work was rolled back by the server. Peewee keeps one connection
    per thread, so the sync, the lease heartbeat and the console's workers never share one."""

    reconnect_errors = (
        (pw.OperationalError, "server closed the connection"),
        (pw.OperationalError, "terminating connection"),
        (pw.OperationalError, "could not receive data"),
        (pw.OperationalError, "could not send data"),
        (pw.OperationalError, "ssl connection has been closed"),
        (pw.OperationalError, "connection not open"),
        (pw.OperationalError, "no connection to the server"),
        (pw.InterfaceError, "connection already closed"),
    )


DatabaseError = pw.PeeweeException  # what a read or write of either backend raises


# A database that went away or cannot be reached now (a daemon retries after a while).
UNAVAILABLE: tuple[type[Exception], ...] = (pw.OperationalError, pw.InterfaceError)


def is_interrupted(error: BaseException | None) -> bool:
    """Whether `error` is a SQLite statement stopped by `interrupt()` (a reader given up)."""
    return isinstance(error, pw.OperationalError) and "interrupted" in str(error)


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite store (a path or a sqlite:/// URL); None for PostgreSQL. A URL of
    another scheme (a typo: `postgresq://`, `mysql://`) is refused, never taken as a path."""
    if is_postgres_url(url):
        return None
    problem = db_url_problem(url)
    if problem is not None:
        raise StoreError(problem)
    return Path(url.removeprefix("sqlite:///")).expanduser()


def postgres_database(url: str) -> PostgresDatabase:
    """A (not yet connected) database for a `postgresql://` URL."""
    params = parse(url, unquote_password=True, unquote_user=True)
    for name, value in POSTGRES_DEFAULTS.items():
        params.setdefault(name, value)
    return PostgresDatabase(**params)


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
        db: pw.Database = postgres_database(url)
        if not db.database:
            raise StoreError(f"the URL {describe(url)} names no database (postgresql://host/NAME)")
        try:
            db.connect()
        except pw.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot connect to PostgreSQL at {describe(url)}: {first}") from None
        except (ImportError, pw.ImproperlyConfigured):
            raise StoreError(
                "PostgreSQL support needs psycopg2: pip install 'tui-inventory[postgres]'"
            ) from None
        return db
    if url.removeprefix("sqlite:///") == ":memory:":
        raise StoreError("an in-memory database cannot be shared by the sync and the console")
    file = sqlite_path(url)
    assert file is not None
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
    refuse_foreign_file(file)
    db = SqliteDatabase(str(file), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    try:
        db.connect()
    except (pw.DatabaseError, sqlite3.Error) as exc:
        error = store_error(exc, str(file))
        raise error or StoreError(f"cannot open the database {file}: {exc}") from None
    return db


def refuse_foreign_file(file: Path) -> None:
    """Refuse a file that is not a tui-inventory store before SQLite opens it for writing:
    opening one would set its journal mode (and a sync would create its tables there), and the
    operator's mistyped path must stay as it was. Refused: a file that is not SQLite, and a
    SQLite database that has tables but no tui-inventory `meta` (another application's).

    SQLite itself reads the file, on a read-only connection that writes nothing: this process
    must never open and close the file on its own, as closing any descriptor of a file drops
    every POSIX lock the process holds on it, those of its open SQLite connections too
    (https://sqlite.org/howtocorrupt.html, 2.2). Another process's connection then believes it
    is the last one, checkpoints and deletes the WAL under them: writes lost, 'disk I/O error'."""
    tables = stored_tables(file)
    if tables and "meta" not in tables:
        shown = ", ".join(plain(t, limit=40) for t in tables[:FOREIGN_TABLES_SHOWN])
        more = ", …" if len(tables) > FOREIGN_TABLES_SHOWN else ""
        raise StoreError(
            f"{file} is not a tui-inventory database (another application's SQLite database, "
            f"its tables: {shown}{more}); check the path given by --db, or move "
            "the file aside so that a sync creates a new store there"
        )


FOREIGN_TABLES_SHOWN = 4


def stored_tables(file: Path) -> list[str] | None:
    """The names of the tables in the SQLite file `file`, read without writing to it; None when
    there is no file or SQLite cannot read it (the open that follows says what is wrong). A file
    that is not SQLite is refused here. For another application's database (tables, no `meta`)
    or a damaged one, a -wal or -shm file the read-only connection made is removed again, so the operator's
    directory is left as it was; a store's are left to the connection that opens it next (one
    may be using them already)."""
    if not file.exists():
        return None
    if not os.access(file, os.R_OK):
        raise StoreError(f"cannot read the database {file}: permission denied")
    if file.is_file() and file.stat().st_size == 0:
        return []  # an empty file: SQLite's new database
    made = [p for p in (Path(f"{file}-wal"), Path(f"{file}-shm")) if not p.exists()]
    try:
        conn = sqlite3.connect(f"file:{quote(str(file.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    rows: list[tuple[object]] = []
    try:
        conn.execute("PRAGMA schema_version")  # reads the header: SQLITE_NOTADB when foreign
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "ORDER BY name"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise StoreError(
                f"{file} is not a tui-inventory database (not a SQLite file); check the path "
                "given by --db, or move the file aside so that a sync creates a new store there"
            ) from None
        damaged = True  # anything else: the open that follows says what is wrong
    else:
        damaged = False
    finally:
        conn.close()
    tables = [str(name) for (name,) in rows]
    if damaged or (tables and "meta" not in tables):
        for p in made:
            p.unlink(missing_ok=True)
    return None if damaged else tables


@contextlib.contextmanager
def write_transaction(db: pw.Database) -> Iterator[None]:
    """A write transaction that takes the write lock at once (SQLite IMMEDIATE), so two writers
    queue on busy_timeout instead of failing with 'database is locked' half-way. A failure the
    operator can fix (a full disk, a read-only file) rolls back and raises a `StoreError`."""
    if isinstance(db, pw.SqliteDatabase):
        try:
            with db.atomic("IMMEDIATE"):
                yield
        except (pw.DatabaseError, sqlite3.Error) as exc:
            error = store_error(exc, str(db.database))
            if error is None:
                cause = exc.__context__
                if "no transaction is active" in str(exc) and isinstance(cause, Exception):
                    raise cause from None  # SQLite rolled back already: the cause, not that
                raise
        else:
            return
        raise error
    else:
        with db.atomic():
            yield
