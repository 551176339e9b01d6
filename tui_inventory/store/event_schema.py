"""The tables of event notifications (see `store.events`), as plain SQL both backends accept.

Kept apart from `store.events` so `schema` can create them without importing the repository.
"""

from __future__ import annotations

from typing import Any

import peewee as pw

TABLES_SQL = (
    "CREATE TABLE IF NOT EXISTS event_seen ("
    "event_id VARCHAR(255) PRIMARY KEY, seen_at VARCHAR(32) NOT NULL)",
    "CREATE TABLE IF NOT EXISTS event_hub ("
    "api VARCHAR(16) PRIMARY KEY, hub_id TEXT NOT NULL, url TEXT NOT NULL, "
    "registered_at VARCHAR(32) NOT NULL)",
)


def create_tables(db: pw.Database, m: Any = None) -> None:
    """Migration 4 and every schema ensure: the two tables, when missing."""
    for sql in TABLES_SQL:
        db.execute_sql(sql)
