"""The store for a team: schema versions, the lease across hosts, progress read by other
processes, PostgreSQL reconnects and read-only users, and moving a store with `migrate`.

Each test runs on both backends (`store`, `make_store`: see tests/pg_fixtures.py) unless it is
about PostgreSQL itself.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import peewee as pw
import psycopg2
import pytest

from tui_inventory import KINDS
from tui_inventory.cli import main
from tui_inventory.errors import LeaseHeld, StoreError
from tui_inventory.store import schema
from tui_inventory.store.lease import LEASE_NAME, SyncLease, current_lease, database_time
from tui_inventory.store.migrate import TABLES, table_name
from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import TableQuery
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.tmf.mapping import Mapped

MakeEngine = Callable[..., SyncEngine]
MakeStore = Callable[..., Store]


def write_lease(store: Store, *, host: str, pid: int, expires_in: float) -> None:
    """A lease row as another host's sync would have written it."""
    lease = store.m.lease
    lease.delete().execute()
    lease.insert(
        name=LEASE_NAME,
        holder=uuid.uuid4().hex,
        host=host,
        pid=pid,
        since="2030-01-02T03:04:05.000000Z",
        expires=database_time(store) + expires_in,
    ).execute()


# -- schema ------------------------------------------------------------------------------------


def test_schema_is_stamped_and_a_stale_stamp_is_brought_up_to_date(
    make_store: MakeStore,
) -> None:
    store = make_store()
    assert schema.version_of(store.db) == schema.SCHEMA_VERSION
    assert schema.is_current(store.db)
    assert set(store.definitions()) == set(KINDS)
    store.m.meta.update(value="0").where(store.m.meta.name == schema.FTS_STAMP).execute()
    assert not schema.is_current(store.db)
    make_store()
    assert schema.is_current(store.db)


def test_an_older_schema_is_upgraded_by_its_migrations_once(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store()
    current = schema.SCHEMA_VERSION
    store.log(None, "info", None, f"written by version {current}")
    calls: list[int] = []

    def to_next(db: Any, m: Any) -> None:
        calls.append(current + 1)
        db.execute_sql("ALTER TABLE log_entry ADD COLUMN origin VARCHAR(32) DEFAULT ''")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(schema.MIGRATIONS, current + 1, to_next)
    upgraded = make_store()
    assert calls == [current + 1]
    assert schema.version_of(upgraded.db) == current + 1
    assert upgraded.log_entries()[0]["message"] == f"written by version {current}"
    make_store()
    assert calls == [current + 1]  # a current database is not migrated again


def test_a_version_1_database_gets_the_buildup_page_size(make_store: MakeStore) -> None:
    store = make_store()
    store.begin_buildup("carriers", 1, 20)
    # Make it a version 1 database: no page_size column, stamped version 1.
    store.db.execute_sql("ALTER TABLE buildup DROP COLUMN page_size")
    store.m.meta.update(value="1").where(store.m.meta.name == "schema_version").execute()
    upgraded = make_store()
    assert schema.version_of(upgraded.db) == schema.SCHEMA_VERSION
    b = upgraded.buildup("carriers")
    assert b is not None and b.page_size == 0 and b.next_page == 1


def test_a_version_2_database_gets_the_search_text_and_stays_searchable(
    make_store: MakeStore,
) -> None:
    store = make_store()
    store.store_page("resources", None, [resource("RES-1", "Perth"), resource("RES-2", "Lima")])
    # Make it a version 2 database: no search_text column (nor what reads it), stamped version 2.
    db = store.db
    if not store.is_postgres:
        for (name,) in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%search_text%'"
        ).fetchall():
            db.execute_sql(f'DROP TRIGGER "{name}"')
    db.execute_sql("ALTER TABLE instance DROP COLUMN search_text")
    store.m.meta.update(value="2").where(store.m.meta.name == "schema_version").execute()
    store.m.meta.update(value="4").where(store.m.meta.name == schema.FTS_STAMP).execute()
    db.execute_sql("UPDATE meta SET value = '4' WHERE name = 'fts_version'")

    upgraded = make_store()
    assert schema.version_of(upgraded.db) == schema.SCHEMA_VERSION
    texts = dict(upgraded.db.execute_sql('SELECT "key", search_text FROM instance').fetchall())
    assert set(texts) == {"RES-1", "RES-2"}
    assert "Perth" in texts["RES-1"] and "serial-RES-1" in texts["RES-1"]
    iq = InventoryQuery(upgraded)
    found = iq.window(TableQuery("resources", search="perth "), 0, 10)
    assert [r.key for r in found] == ["RES-1"]
    # A change after the upgrade drops the old words from the index and adds the new ones.
    upgraded.store_page("resources", None, [resource("RES-1", "Accra")])
    iq = InventoryQuery(upgraded)
    assert [r.key for r in iq.window(TableQuery("resources", search="perth "), 0, 10)] == []
    assert [r.key for r in iq.window(TableQuery("resources", search="accra "), 0, 10)] == ["RES-1"]


def resource(key: str, site: str) -> Mapped:
    fields = {
        "ID": key,
        "Name": f"modem {key}",
        "Status": "active",
        "Type": "Modem",
        "Resource Characteristics": {"serialNumber": f"serial-{key}"},
        "Locations": [{"id": site.lower(), "name": site, "role": "Site"}],
    }
    return Mapped(key, f"modem {key}", "active", "Modem", site, fields)


def test_a_schema_newer_than_the_program_is_refused(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store()
    store.m.meta.update(value="99").where(store.m.meta.name == "schema_version").execute()
    with pytest.raises(StoreError, match="version 99, newer than this tui-inventory"):
        make_store()


def test_stores_opened_at_once_on_a_new_database_all_succeed(
    make_store: MakeStore, new_database: Callable[[], str]
) -> None:
    url = new_database()
    errors: list[BaseException] = []
    opened: list[Store] = []
    lock = threading.Lock()

    def open_one() -> None:
        try:
            s = Store(url)
            with lock:
                opened.append(s)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert all(s.counts() == dict.fromkeys(KINDS, 0) for s in opened)
    finally:
        for s in opened:
            s.close()


# -- the lease across hosts --------------------------------------------------------------------


def test_an_expired_lease_of_another_host_is_taken_over(
    sim: Any, store: Store, make_store: MakeStore, make_engine: MakeEngine
) -> None:
    other = make_store()
    write_lease(other, host="sync-host-b", pid=4242, expires_in=-5)
    abandoned = other.start_run("buildup", "sync-host-b", 4242)
    other.start_type_run(abandoned, "services", "buildup")

    result = make_engine(sim, store).run("buildup")

    assert result.ok, result.reason
    assert current_lease(store) is None  # released at the end
    run = next(r for r in store.runs() if r["id"] == abandoned)
    assert run["state"] == "failed" and "sync-host-b" in run["reason"]
    assert store.type_runs(abandoned)[0]["state"] == "failed"


def test_a_live_lease_of_another_host_is_refused_with_host_pid_and_since(
    sim: Any, store: Store, make_store: MakeStore, make_engine: MakeEngine
) -> None:
    write_lease(make_store(), host="sync-host-b", pid=4242, expires_in=60)
    with pytest.raises(LeaseHeld) as info:
        make_engine(sim, store).run("buildup")
    assert (
        str(info.value)
        == "sync already running (sync-host-b, pid 4242, since 2030-01-02 03:04:05 UTC)"
    )
    assert sim.requests == []  # refused before any request
    assert store.runs() == []


def test_only_one_of_many_simultaneous_takers_gets_the_lease(make_store: MakeStore) -> None:
    write_lease(make_store(), host="sync-host-b", pid=4242, expires_in=-1)  # expired: up for grabs
    stores = [make_store() for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    won: list[SyncLease] = []
    refused: list[str] = []
    other: list[BaseException] = []

    def take(s: Store) -> None:
        lease = SyncLease(s, ttl=30)
        barrier.wait()
        try:
            lease.acquire()
            won.append(lease)
        except LeaseHeld as exc:
            refused.append(str(exc))
        except BaseException as exc:
            other.append(exc)

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert other == []
        assert len(won) == 1 and len(refused) == len(stores) - 1
        assert current_lease(stores[0]).holder == won[0].holder  # type: ignore[union-attr]
    finally:
        for lease in won:
            lease.release()


def test_a_holder_whose_lease_was_taken_over_stops_its_run(
    sim: Any, store: Store, make_store: MakeStore, make_engine: MakeEngine
) -> None:
    engine = make_engine(sim, store, **{"sync.page_concurrency": 1})
    engine.lease_ttl = 0.6  # heartbeats every 0.2 s
    other = make_store()
    stolen = threading.Event()

    def steal_on_first_page(event: Any) -> None:
        if isinstance(event, ev.PageStored) and not stolen.is_set():
            stolen.set()
            write_lease(other, host="sync-host-b", pid=4242, expires_in=60)
            time.sleep(0.5)  # a heartbeat finds the lease gone

    engine.on_event = steal_on_first_page
    result = engine.run("buildup")
    assert result.state == "cancelled"
    assert current_lease(store).host == "sync-host-b"  # type: ignore[union-attr]


# -- progress seen from another process --------------------------------------------------------


def test_live_progress_read_by_another_store_follows_the_run(
    sim: Any, store: Store, make_store: MakeStore, make_engine: MakeEngine
) -> None:
    reader = make_store()  # a console on another host, sharing only the database
    seen: list[Any] = []

    def watch(event: Any) -> None:
        if isinstance(event, ev.PageStored) and event.kind == "carriers" and event.page == 2:
            seen.append((event, reader.live_progress()))

    engine = make_engine(sim, store, **{"sync.page_concurrency": 1})
    engine.on_event = watch
    idle = reader.live_progress()
    assert idle.run is None and idle.kinds == {} and not idle.running
    result = engine.run("buildup")
    assert result.ok

    (event, during) = seen[0]
    assert during.running and during.lease is not None
    assert during.run is not None and during.run.state == "running"
    assert during.run.mode == "buildup" and during.run.id == result.run_id
    carriers = during.kinds["carriers"]
    assert carriers.state == "running" and carriers.run == result.run_id
    # The reader sees what is committed: page 2 at least (the store process may have stored the
    # next page by the time the sync's process reports page 2), and whichever page it reached,
    # its counters and the buildup's next page were committed with it.
    assert event.pages_done == 2 and event.counters.created == 40
    assert carriers.pages >= 2
    assert carriers.buildup is not None and carriers.buildup.pages_done == carriers.pages
    assert carriers.buildup.next_page == carriers.pages + 1
    # (the store process may have committed the listing's last, empty page too, in one
    # transaction with the page before it)
    full = min(20 * carriers.pages, len(sim.dataset.expected_keys("carriers")))
    assert carriers.counters.created == carriers.buildup.received == full
    assert carriers.counters.received >= carriers.counters.created  # counted as pages are prepared
    assert during.kinds["services"].state == "succeeded"
    assert "resources" not in during.kinds  # not reached yet
    assert during.last_log_id > 0

    after = reader.live_progress()
    assert not after.running and after.run is not None and after.run.state == "succeeded"
    for kind in KINDS:
        tp = after.kinds[kind]
        assert tp.state == "succeeded" and tp.buildup is None
        assert tp.counters == result.types[kind].counters.frozen()
        assert tp.counters.created == reader.count(kind)
    news = reader.log_entries(after_id=during.last_log_id)
    assert any(e["message"].startswith("buildup succeeded") for e in news)


def test_a_run_whose_process_died_shows_as_interrupted(store: Store, make_store: MakeStore) -> None:
    run = store.start_run("buildup", "sync-host-b", 4242)
    store.start_type_run(run, "services", "buildup")
    write_lease(store, host="sync-host-b", pid=4242, expires_in=-1)  # expired
    progress = make_store().live_progress()
    assert progress.run is not None and progress.run.state == "interrupted"
    assert progress.kinds["services"].state == "interrupted"
    assert not progress.running


# -- PostgreSQL itself -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgres_reconnects_when_the_server_drops_the_connection(
    store: Store, postgres_server: str
) -> None:
    def drop_connection() -> None:
        (pid,) = store.db.execute_sql("SELECT pg_backend_pid()").fetchone()
        admin = psycopg2.connect(postgres_server)
        admin.autocommit = True
        admin.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.close()
        time.sleep(0.1)

    store.log(None, "info", None, "before")
    drop_connection()  # between transactions (an idle timeout, a server restart)
    assert store.counts() == dict.fromkeys(KINDS, 0)  # reconnected, no error
    store.log(None, "info", None, "after")

    # In a transaction: the transaction fails (the server rolled it back), the next one works.
    with pytest.raises((pw.OperationalError, pw.InterfaceError)), store.transaction():
        store.log(None, "info", None, "lost with its transaction")
        drop_connection()
        store.log(None, "info", None, "never written")
    store.log(None, "info", None, "again")
    assert [e["message"] for e in store.log_entries()] == ["before", "after", "again"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_read_only_database_user_opens_a_current_store(
    sim: Any,
    store: Store,
    store_url: str,
    make_store: MakeStore,
    make_engine: MakeEngine,
    postgres_server: str,
) -> None:
    assert make_engine(sim, store).run("buildup").ok
    role = f"tui_reader_{uuid.uuid4().hex[:8]}"
    database = store_url.rsplit("/", 1)[1]
    statements = [
        f"CREATE ROLE {role} LOGIN",
        f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    ]
    for sql in statements:
        store.db.execute_sql(sql)
    try:
        reader = Store(store_url.replace("//postgres@", f"//{role}@"))
        try:
            assert reader.counts() == store.counts()
            assert reader.live_progress().kinds["services"].state == "succeeded"
            with pytest.raises(pw.ProgrammingError, match="permission denied"):
                reader.log(None, "info", None, "a reader cannot write")
        finally:
            reader.close()
    finally:
        store.db.execute_sql(f"DROP OWNED BY {role}")
        store.db.execute_sql(f"DROP ROLE {role}")


# -- migrate -----------------------------------------------------------------------------------


def table_rows(store: Store, name: str) -> list[tuple[Any, ...]]:
    """Every row of a table, every column, sorted in Python (the backends' collations differ)."""
    model = getattr(store.m, name)
    rows = model.select(*model._meta.sorted_fields).tuples()
    return sorted(rows, key=lambda row: [(v is None, str(type(v)), v) for v in row])


def build_history(sim: Any, store: Store, make_engine: MakeEngine) -> None:
    """A store with a row in every table: revisions created, changed and removed, runs, a gap, a
    held cleanup, the log, and an interrupted buildup with its tracked keys."""
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    carriers = sorted(sim.dataset.expected_keys("carriers"))
    sim.dataset.set_field("carriers", carriers[1], "Name", "Renamed upstream")
    sim.dataset.remove("carriers", carriers[0])
    sim.dataset.tick()
    assert engine.run("buildup").ok
    assert engine.run("update").ok
    sim.faults.add("services", 2, "504", times=-1)  # a gap
    sim.faults.add("carriers", 3, "502", times=1)  # the carriers buildup stops after page 2
    assert engine.run("buildup").types["carriers"].state == "failed"
    assert store.buildup("carriers") is not None and store.tracked_count("carriers") == 40
    assert store.gaps() and store.log_entries()
    store.hold_cleanup("resources", 1, "buildup", 200, 230)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_migrate_moves_a_sqlite_store_to_postgres_row_for_row(
    sim: Any,
    tmp_path: Any,
    store_url: str,
    make_store: MakeStore,
    make_engine: MakeEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sqlite_path = str(tmp_path / "old.db")
    old = make_store(sqlite_path)
    build_history(sim, old, make_engine)
    rev = old.m.revision
    assert {r.change for r in rev.select(rev.change).distinct()} == {
        "created",
        "changed",
        "removed",
    }

    assert main(["migrate", "--from", sqlite_path, "--to", store_url]) == 0
    assert "copied" in capsys.readouterr().out

    new = make_store()
    for name in TABLES:
        rows = table_rows(new, name)
        assert rows == table_rows(old, name), table_name(getattr(new.m, name))
        assert rows, f"{name} is empty: the comparison would prove nothing"
    assert [r.id for r in new.recent_revisions(10_000)] == [
        r.id for r in old.recent_revisions(10_000)
    ]
    assert current_lease(new) is None and current_lease(old) is None

    # The copy carries on where the old store stopped: the interrupted carriers buildup resumes
    # at its next page with the keys it had seen, and new ids follow the copied ones.
    last_revision = max(r.id for r in old.recent_revisions(1))
    sim.faults.clear()
    sim.dataset.set_field("services", sorted(sim.dataset.expected_keys("services"))[0], "Name", "x")
    events: list[Any] = []
    result = make_engine(sim, new, events=events).run("auto")
    assert result.mode == "buildup" and result.run_id == max(r["id"] for r in old.runs()) + 1
    started = {e.kind: e.first_page for e in events if isinstance(e, ev.TypeStarted)}
    assert started["carriers"] == 3
    assert result.types["carriers"].state == "succeeded"
    assert result.types["carriers"].counters.removed == 0
    assert new.keys("carriers") == sim.dataset.expected_keys("carriers")
    assert min(r.id for r in new.recent_revisions(10_000) if r.run == result.run_id) > last_revision


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_migrate_refuses_a_store_that_holds_data_unless_forced(
    sim: Any,
    tmp_path: Any,
    store: Store,
    store_url: str,
    make_store: MakeStore,
    make_engine: MakeEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sqlite_path = str(tmp_path / "old.db")
    old = make_store(sqlite_path)
    assert make_engine(sim, old).run("buildup").ok
    store.log(None, "info", None, "something already here")

    assert main(["migrate", "--from", sqlite_path, "--to", store_url]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("tui-inventory: the destination ") and "not empty (1 log_entry)" in err
    assert "--force" in err and len(err.splitlines()) == 1

    assert main(["migrate", "--from", sqlite_path, "--to", store_url, "--force"]) == 0
    for name in TABLES:
        assert table_rows(store, name) == table_rows(old, name)
    assert main(["migrate", "--from", str(tmp_path / "absent.db"), "--to", store_url]) == 1
    assert "there is no store at" in capsys.readouterr().err


def test_migrate_refuses_while_a_sync_runs_on_the_source(
    tmp_path: Any, store_url: str, make_store: MakeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    source = make_store()
    write_lease(source, host="sync-host-b", pid=4242, expires_in=60)
    assert main(["migrate", "--from", store_url, "--to", str(tmp_path / "copy.db")]) == 1
    err = capsys.readouterr().err
    assert "cannot migrate while a sync runs against the source" in err
    assert "sync-host-b, pid 4242" in err


def test_migrate_reads_tables_in_key_order_batch_by_batch(
    sim: Any, store: Store, make_engine: MakeEngine
) -> None:
    from tui_inventory.store.migrate import rows_in_order

    sim.faults.add("resources", 3, "502", times=1)  # leaves tracked keys (a composite key)
    make_engine(sim, store).run("buildup")
    for name in ("instance", "tracked", "type_run", "definition"):
        model = getattr(store.m, name)
        whole = list(model.select(*model._meta.sorted_fields).tuples())
        batched = [row for rows in rows_in_order(model, 2) for row in rows]
        assert len(whole) > 2, name
        assert sorted(batched) == sorted(whole) and len(batched) == len(whole), name


def test_no_page_is_stored_once_another_sync_took_the_lease_over(
    sim: Any, store: Store, make_store: MakeStore, make_engine: MakeEngine
) -> None:
    """A sync whose lease expired and was taken over (its host stalled, say) stores nothing more:
    the buildup state is the new holder's. Its store process checks in each page's transaction."""
    other = make_store()
    taken: list[int] = []

    def take_over(event: Any) -> None:
        if isinstance(event, ev.PageStored) and event.kind == "resources" and not taken:
            write_lease(other, host="elsewhere", pid=4242, expires_in=300)
            state = other.buildup("resources")
            assert state is not None
            taken.append(state.next_page)  # the first page not stored when it was taken

    engine = make_engine(sim, store, **{"sync.records_per_page": 10})
    engine.on_event = take_over
    result = engine.run("buildup")
    assert taken and result.types["resources"].state in ("failed", "cancelled")
    state = other.buildup("resources")
    assert state is not None and state.next_page == taken[0]  # nothing stored after
    assert other.count("resources") == other.tracked_count("resources")  # whole pages only
    assert current_lease(other).host == "elsewhere"  # type: ignore[union-attr]
