"""What the CLI's commands do, apart from parsing: sync, status, export, history, demo."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from tui_inventory import KINDS
from tui_inventory.config import DB_ENV, Config
from tui_inventory.daemon import Daemon, JsonReporter
from tui_inventory.errors import InventoryError, StoreError
from tui_inventory.store.db import describe, sqlite_path
from tui_inventory.store.lease import live_lease
from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.text import plain
from tui_inventory.tmf.definitions import DEFINITIONS


def _passwords() -> Callable[[str], str | None]:
    from tui_inventory import secrets

    return secrets.get_password


def utc_time(iso: str | None) -> str:
    """A stored timestamp (ISO 8601, UTC) as the CLI prints times: `2026-12-01 10:45:56 UTC`."""
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return plain(iso)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


class Reporter:
    """Prints engine events as lines (headless sync and demo): progress at most once a second.

    The engine calls it from one thread per API at once: each line is written whole (text and
    newline in one write) under a lock, so two APIs' lines never run into each other.
    """

    def __init__(self, out: TextIO | None = None, *, interval: float = 1.0) -> None:
        self.out = out
        self.interval = interval
        self._last = 0.0
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.line(f"run {event.run_id}: {event.mode} of {', '.join(event.kinds)}")
        elif isinstance(event, ev.TypeStarted):
            start = f" (resuming at page {event.first_page})" if event.first_page > 1 else ""
            self.line(f"{event.kind}: {event.mode} started{start}")
        elif isinstance(event, ev.PageStored):
            now = time.monotonic()
            if now - self._last >= self.interval:
                self._last = now
                c = event.counters
                total = f"/{event.total}" if event.total is not None else ""
                rate = c.received / event.elapsed if event.elapsed > 0 else 0.0
                self.line(
                    f"{event.kind}: page {event.page}, {c.received}{total} received, "
                    f"{c.created} created, {c.updated} updated ({rate:.0f}/s)"
                )
        elif isinstance(event, ev.Logged) and event.level in ("warning", "error"):
            self.line(f"{event.level}: {plain(event.message)}")
        elif isinstance(event, ev.RunFinished):
            reason = f" ({plain(event.reason)})" if event.reason else ""
            self.line(f"run {event.run_id}: {event.mode} {event.state}{reason}")

    def line(self, text: str) -> None:
        out = self.out or sys.stdout
        with self._lock:
            if self._closed:
                return
            try:
                out.write(text + "\n")
                out.flush()
            except BrokenPipeError:
                # The reader went away (`| head`); the sync goes on, and the CLI exits quietly
                # when the main thread next writes.
                self._closed = True


def _engine(cfg: Config, store: Store, **kw: Any) -> SyncEngine:
    return SyncEngine(cfg, store, passwords=kw.pop("passwords", None) or _passwords(), **kw)


def _counts_line(store: Store) -> str:
    counts = store.counts()
    return "stored: " + ", ".join(f"{k} {counts[k]}" for k in KINDS)


def existing_store(args: argparse.Namespace) -> str:
    """The database of a command that only reads. A SQLite file must exist already: opening one
    creates it, and a mistyped path would show an empty inventory instead of the mistake."""
    from tui_inventory.cli import resolve_db

    url = resolve_db(args)
    path = sqlite_path(url)
    if path is None or path.is_file():
        return url
    if args.db:
        raise StoreError(f"there is no store at {path} (check --db; a sync creates the store)")
    if os.environ.get(DB_ENV):
        raise StoreError(f"there is no store at {path} (check {DB_ENV}; a sync creates the store)")
    raise StoreError(f"there is no store yet at {path}: run `tui-inventory sync --once` first")


def sync(args: argparse.Namespace) -> int:
    from tui_inventory.cli import resolve_config, resolve_db

    cfg = resolve_config(args)
    if args.buildup and args.update:
        raise InventoryError("choose --buildup or --update, not both")
    mode = "buildup" if args.buildup else "update" if args.update else "auto"
    # The daemon always logs JSON lines (one object per line, for journald and log shippers).
    json_log = bool(getattr(args, "json_log", False)) or not args.once
    lease_ttl = getattr(args, "lease_ttl", None)
    with Store(resolve_db(args)) as store:
        reporter = JsonReporter() if json_log else Reporter()
        extra: dict[str, Any] = {"lease_ttl": lease_ttl} if lease_ttl else {}
        engine = _engine(cfg, store, on_event=reporter, **extra)
        if args.once:
            result = engine.run(mode, allow_mass_delete=args.allow_mass_delete)
            if isinstance(reporter, JsonReporter):
                reporter.emit("info", "stored", counts=store.counts())
            else:  # through the reporter: a reader gone (`| head`) does not hide the status
                reporter.line(_counts_line(store))
            return 0 if result.ok else 1
        assert isinstance(reporter, JsonReporter)
        daemon = Daemon(engine, cfg, reporter, mode=mode, allow_mass_delete=args.allow_mass_delete)
        daemon.install_signal_handlers()
        return daemon.run()


def migrate(args: argparse.Namespace) -> int:
    from tui_inventory.store.migrate import migrate_store

    def progress(table: str, copied: int) -> None:
        print(f"{table}: {copied} rows", file=sys.stderr, flush=True)

    copied = migrate_store(args.source, args.dest, force=args.force, on_table=progress)
    total = sum(copied.values())
    print(f"copied {total} rows from {describe(args.source)} to {describe(args.dest)}")
    return 0


def status(args: argparse.Namespace) -> int:
    from tui_inventory.logs import log_path

    url = existing_store(args)
    with Store(url) as store:
        lease = live_lease(store)  # by the database's clock, as the hosts agree on it
        report: dict[str, Any] = {
            "database": describe(url),
            "log_file": str(log_path() or ""),
            "counts": store.counts(),
            "buildup": {
                k: (vars(b) if (b := store.buildup(k)) is not None else None) for k in KINDS
            },
            "buildup_completed": store.has_completed_buildup(),
            "last_runs": [_run_report(store, r) for r in store.runs(5)],
            "gaps": store.gaps()[-50:],
            "held_cleanups": {k: vars(h) for k, h in store.held_cleanups().items()},
            "sync_running": (
                {"host": lease.host, "pid": lease.pid, "since": lease.since}
                if lease is not None
                else None
            ),
        }
    if args.json:
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    print(f"database: {report['database']}")
    print(f"log file: {report['log_file']}")
    for k in KINDS:
        b = report["buildup"][k]
        state = f"buildup in progress (next page {b['next_page']})" if b else ""
        print(f"{DEFINITIONS[k].title:10} {report['counts'][k]:>9}  {state}")
    running = report["sync_running"]
    if running:
        print(
            f"sync running on {plain(running['host'])} (pid {running['pid']}) "
            f"since {utc_time(running['since'])}"
        )
    for run in report["last_runs"]:
        print(_run_line(run))
    for k, h in report["held_cleanups"].items():
        print(
            f"held cleanup: {k} would remove {h['would_remove']} of {h['total']}"
            f" (`tui-inventory cleanup {k}` lists them)"
        )
    if report["gaps"]:
        print(f"gaps: {len(report['gaps'])} recorded (see --json)")
    return 0


def _run_line(run: dict[str, Any]) -> str:
    """`run 3: buildup failed at … (reason)`: a finished run at its outcome's time, one still
    going with its start."""
    head = f"run {run['id']}: {run['mode']} {run['state']}"
    reason = f" ({plain(run['reason'])})" if run.get("reason") else ""
    if run.get("finished_at"):
        return f"{head} at {utc_time(run['finished_at'])}{reason}"
    return f"{head}, started at {utc_time(run['started_at'])}{reason}"


def _run_report(store: Store, run: dict[str, Any]) -> dict[str, Any]:
    out = dict(run)
    out["types"] = {t["kind"]: t for t in store.type_runs(run["id"])}
    return out


def _export_rows(store: Store, kind: str, search: str | None) -> Iterator[dict[str, Any]]:
    """Every instance of `kind` (those a search finds, the same search as the console's table),
    as the export's objects: id, name, status, type and every mapped field."""
    if search:
        from tui_inventory.store.query import InventoryQuery, TableQuery

        for row, fields in InventoryQuery(store).iter_instances(TableQuery(kind, search=search)):
            yield {
                "id": row.key,
                "name": row.name,
                "status": row.status,
                "type": row.type,
                "fields": fields,
            }
        return
    for rec in store.iter_instances(kind):
        yield {
            "id": rec.key,
            "name": rec.name,
            "status": rec.status,
            "type": rec.type,
            "fields": rec.fields,
        }


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if not path or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            yield fh
        tmp.replace(target)
    except OSError as exc:
        raise InventoryError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


def export(args: argparse.Namespace) -> int:
    kind = args.kind
    definition = DEFINITIONS[kind]
    with Store(existing_store(args)) as store, _output(args.output) as out:
        records = _export_rows(store, kind, args.search)
        n = 0
        if args.format == "csv":
            names = [f.name for f in definition.fields]
            writer = csv.writer(out)
            writer.writerow(["id", "name", "status", "type", *names])
            for rec in records:
                fields = rec["fields"]
                writer.writerow(
                    [
                        rec["id"],
                        rec["name"],
                        rec["status"],
                        rec["type"],
                        *(_cell(fields.get(f)) for f in names),
                    ]
                )
                n += 1
        elif args.format == "jsonl":
            for rec in records:
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
        else:
            out.write("[")
            for rec in records:
                out.write(("\n" if n == 0 else ",\n") + json.dumps(rec, ensure_ascii=False))
                n += 1
            out.write("\n]\n")
    if args.output and args.output != "-":
        print(f"{n} {kind} written to {args.output}", file=sys.stderr)
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def history(args: argparse.Namespace) -> int:
    with Store(existing_store(args)) as store:
        revisions = store.revisions(args.kind, args.key)
        current = store.get(args.kind, args.key)
    if not revisions and current is None:
        raise InventoryError(f"no {args.kind[:-1]} with key {args.key!r} and no history of one")
    if args.json:
        json.dump(
            [
                {
                    "at": r.at,
                    "run": r.run,
                    "change": r.change,
                    "name": r.name,
                    "changes": {k: {"old": v[0], "new": v[1]} for k, v in r.changes.items()},
                }
                for r in revisions
            ],
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
        return 0
    state = "active" if current else "removed"
    print(
        f"{DEFINITIONS[args.kind].title} {plain(args.key)} ({state}), {len(revisions)} revision(s), newest first"
    )
    for r in revisions:
        print(f"{utc_time(r.at)}  run {r.run}  {r.change}")
        for name, (old, new) in r.changes.items():
            print(f"    {name}: {plain(_cell(old))} -> {plain(_cell(new))}")
    return 0


def demo(args: argparse.Namespace) -> int:
    """The console (or a printed run) on an embedded simulator, in a throw-away directory."""
    from tui_inventory.simulator import Simulator

    sim = Simulator(
        services=args.services,
        carriers=args.carriers,
        resources=args.resources,
        seed=args.seed,
        latency_ms=args.latency_ms,
        changes_per_poll=max(5, args.services // 50),
        duplicates=3,
        null_keys=2,
    )
    with sim, tempfile.TemporaryDirectory(prefix="tui-inventory-demo-") as tmp:
        cfg = Config(path=Path(tmp) / "config.toml")
        for name, value in sim.settings("ses").items():
            cfg.set(name, value)
        db_url = args.db or str(Path(tmp) / "demo.db")
        passwords = sim.passwords
        if not args.headless:
            from tui_inventory.app.main import run_console

            return run_console(cfg, db_url, passwords=passwords.get, demo=sim)
        with Store(db_url) as store:
            engine = _engine(cfg, store, on_event=Reporter(), passwords=passwords.get)
            first = engine.run("buildup")
            print(_counts_line(store))
            sim.dataset.tick()
            second = engine.run("update")
            print(_counts_line(store))
            for kind, t in second.types.items():
                c = t.counters
                print(
                    f"update {kind}: created {c.created}, updated {c.updated}, removed {c.removed}"
                )
        return 0 if first.ok and second.ok else 1


def console(args: argparse.Namespace) -> int:
    from tui_inventory.app.main import run_console
    from tui_inventory.cli import resolve_config, resolve_db

    cfg = resolve_config(args)
    # A read-only console never creates a store; the first start of a syncing one does.
    url = existing_store(args) if args.readonly else resolve_db(args)
    return run_console(cfg, url, passwords=_passwords(), readonly=args.readonly)
