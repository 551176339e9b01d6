"""Store fixtures for both backends: a SQLite file, or a fresh PostgreSQL database per test.

A test that takes `store` (or `store_url`, `make_store`, `new_database`) runs once per backend.
The PostgreSQL variant creates a database on the server of `TUI_INVENTORY_TEST_POSTGRES`
(default: the local server as user postgres) and drops it after the test; where no server
answers, it is skipped with the reason — or fails, when TUI_INVENTORY_REQUIRE_POSTGRES=1 or CI=true
(`.ci/run` sets the first: in CI a missing server cannot hide).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tui_inventory.store.repo import Store

ADMIN_URL = os.environ.get(
    "TUI_INVENTORY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_SERVER = urlsplit(ADMIN_URL)
NO_SERVER = f"no PostgreSQL server answers on {_SERVER.hostname}:{_SERVER.port or 5432}"
REQUIRE_ENV = "TUI_INVENTORY_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against the PostgreSQL server")


def _admin() -> Any:
    import psycopg2

    conn = psycopg2.connect(ADMIN_URL, connect_timeout=3)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a PostgreSQL server that answers (skips the test when none does)."""
    try:
        _admin().close()
    except Exception as exc:
        reason = f"{NO_SERVER} ({type(exc).__name__})"
        if os.environ.get(REQUIRE_ENV) == "1" or os.environ.get("CI") == "true":
            pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 or CI=true requires the PostgreSQL tests")
        pytest.skip(reason)
    return ADMIN_URL


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def _create_database(name: str, template: str | None = None) -> None:
    conn = _admin()
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.cursor().execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        conn.close()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[str]:
    """A database a Store made its schema in, once per worker (per session): the databases of
    the tests that take `store` are copies of it. Creating the schema is most of what a new
    PostgreSQL store costs (0.6-1.0 s; a copy, 0.15-0.25 s), and a Store opened on a copy finds
    what it would have made itself: the schema and its stamps, no row of data."""
    name = f"tui_template_{uuid.uuid4().hex[:12]}"
    _create_database(name)
    Store(database_url(postgres_server, name)).close()  # no session may stay on a template
    yield name
    conn = _admin()
    try:
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture
def new_postgres_database(postgres_server: str) -> Iterator[Callable[..., str]]:
    """`new_postgres_database()` -> the URL of a new, empty PostgreSQL database (dropped after);
    `new_postgres_database(template=name)` -> a new copy of the database `name`."""
    names: list[str] = []

    def make(template: str | None = None) -> str:
        name = f"tui_test_{uuid.uuid4().hex[:12]}"
        _create_database(name, template)
        names.append(name)
        return database_url(postgres_server, name)

    yield make
    conn = _admin()
    try:
        for name in names:  # FORCE: a daemon killed by the test may have left a connection
            conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """`new_database()` -> the URL of a new, empty database of the test's backend."""
    if backend == "postgresql":
        make: Callable[[], str] = request.getfixturevalue("new_postgres_database")
        return make
    counter = iter(range(1_000_000))

    def sqlite() -> str:
        return str(tmp_path / f"inventory-{next(counter)}.db")

    return sqlite


@pytest.fixture
def store_url(new_database: Callable[[], str], backend: str, request: pytest.FixtureRequest) -> str:
    """The URL of the test's database: a new, empty one; on PostgreSQL, for a test that takes
    `store` (whose Store, opened before the test runs, would make the schema), a copy of
    `postgres_template`. A test of a store's first opening (a migrate to a new database, say)
    takes `store_url` or `new_database` without `store`, and gets an empty database."""
    if backend == "postgresql" and "store" in request.fixturenames:
        make: Callable[..., str] = request.getfixturevalue("new_postgres_database")
        return make(template=request.getfixturevalue("postgres_template"))
    return new_database()


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[..., Store]]:
    """`make_store()` -> another Store on the test's database; `make_store(url)` -> one on `url`.
    All are closed after the test."""
    opened: list[Store] = []

    def make(url: str | None = None) -> Store:
        s = Store(url or store_url)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()
