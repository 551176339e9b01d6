"""The store's connection: one database (SQLite file or PostgreSQL), its models, its transactions
and the plain-SQL helpers the page writes use. The parts of `Store` build on it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Self

from tui_inventory.store import schema
from tui_inventory.store.db import is_postgres_url, open_database, write_transaction
from tui_inventory.store.models import Models, bind
from tui_inventory.store.records import BATCH
from tui_inventory.tmf.definitions import Definition


class StoreBase:
    """One inventory database (a SQLite file or a PostgreSQL database)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = open_database(url)
        self.m: Models = bind(self.db)
        self._type_run_columns = frozenset(self.m.type_run._meta.columns)
        self.is_postgres = is_postgres_url(url)
        p = self.db.param
        self._service_status_sql = f'SELECT status FROM instance WHERE kind = {p} AND "key" = {p}'
        self._ensure_schema()
        self._search_deferred = schema.search_deferred(self.db)

    # -- schema -------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        schema.ensure(self.db, self.m)  # created or upgraded; one read when already current

    def definitions(self) -> dict[str, Definition]:
        """The definitions as stored in the database (the console renders from these)."""
        rows = self.m.definition.select()
        return {r.name: Definition.from_json(json.loads(r.body)) for r in rows}

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> Any:
        return write_transaction(self.db)

    def snapshot(self) -> Any:
        """A read transaction that sees one state of the database throughout (SQLite WAL: any
        read transaction; PostgreSQL: REPEATABLE READ)."""
        if self.is_postgres:
            return self.db.atomic(isolation_level="REPEATABLE READ")
        return self.db.atomic()

    def _in(self, n: int) -> str:
        return ", ".join([self.db.param] * n)

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return list(self.db.execute_sql(sql, params).fetchall())

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            cursor = self.db.cursor()
            if self.is_postgres:  # psycopg2's executemany is one round trip per row
                from psycopg2.extras import execute_batch

                execute_batch(cursor, sql, rows, page_size=BATCH)
            else:
                cursor.executemany(sql, rows)
