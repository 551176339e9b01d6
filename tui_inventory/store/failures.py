"""Database failures an operator can meet, as a `StoreError` with one sentence instead of a trace.

A full disk, a file or directory that cannot be written, an I/O error, a damaged file. SQLite rolls
a transaction back by itself on some of them (a full disk among them); Peewee's own rollback then
fails with "no transaction is active" and would hide the real cause, so `write_transaction` reports
the first failure, translated here.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from typing import Any

import peewee as pw

from tui_inventory.errors import StoreError


class StoreWriteFailed(StoreError, pw.OperationalError):
    """A write the operator can fix failed. A `StoreError` for the screen, and still the database
    error that code catching Peewee's errors (the lease's heartbeat and release) expects."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, what it wraps (Peewee puts the driver's error in args[0]) and what caused it."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        wrapped = [a for a in item.args[:1] if isinstance(a, BaseException)]
        todo.extend([*wrapped, item.__cause__, item.__context__])


def store_error(exc: BaseException, where: str) -> StoreError | None:
    """The operator's sentence for `exc`, a failure writing the database `where`, or None when it
    is not one an operator can act on (a bug: let it raise as it is)."""
    for item in _chain(exc):
        if isinstance(item, StoreError):
            return item
        name = str(getattr(item, "sqlite_errorname", ""))
        text = str(item).lower()
        code = getattr(item, "errno", None)
        if name == "SQLITE_FULL" or "disk is full" in text or code == errno.ENOSPC:
            return StoreWriteFailed(
                f"the disk is full: a write to the database {where} was rolled back and the "
                "store is as it was before it; free some space and run again"
            )
        if name.startswith("SQLITE_READONLY") or "readonly database" in text or code == errno.EROFS:
            return StoreWriteFailed(
                f"the database {where} cannot be written (read-only file or file system); the "
                "write was rolled back"
            )
        if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
            return StoreWriteFailed(
                f"a disk I/O error stopped a write to the database {where}; it was rolled back"
            )
        if name == "SQLITE_NOTADB" or "file is not a database" in text:
            return StoreWriteFailed(
                f"{where} is not a tui-inventory database (not a SQLite file, or an encrypted "
                "one); check --db, or move the file aside so that a sync creates a new store there"
            )
        if name.startswith("SQLITE_CORRUPT") or "database disk image is malformed" in text:
            return StoreWriteFailed(
                f"the database {where} is damaged ({text.strip()}); restore it from a backup or "
                "move it aside and run a buildup"
            )
    return None


class SqliteDatabase(pw.SqliteDatabase):
    """SQLite whose statements fail with a `StoreError` when the failure is the operator's to fix
    (the statements outside `write_transaction`: the run's bookkeeping, the sync log)."""

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]
        except (pw.DatabaseError, sqlite3.Error) as exc:
            error = store_error(exc, str(self.database))
            if error is None:
                raise
        raise error  # outside the except: the sentence, not a chain of driver errors
