"""What the CLI's commands do, apart from parsing: sync, status, export, history, demo."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from secrets import token_urlsafe
from typing import Any, TextIO, cast

from tui_inventory import KINDS
from tui_inventory.config import DB_ENV, Config, resolve_config, resolve_db
from tui_inventory.daemon import Daemon, JsonReporter
from tui_inventory.errors import InventoryError, StoreError
from tui_inventory.files import write_text
from tui_inventory.report import Outcome, counts_line, line_reporter
from tui_inventory.revisions import change_lines, change_text
from tui_inventory.secrets import EVENTS_TOKEN_ENV
from tui_inventory.store import export as exporter
from tui_inventory.store.db import describe, refuse_foreign_file, sqlite_path, stored_tables
from tui_inventory.store.lease import holds_for_events, live_lease
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import TableQuery
from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.text import plain
from tui_inventory.times import utc_time as utc_time  # importable from here too
from tui_inventory.tmf.definitions import DEFINITIONS


def _passwords() -> Callable[[str], str | None]:
    from tui_inventory import secrets

    return secrets.get_password


def _engine(cfg: Config, store: Store, **kw: Any) -> SyncEngine:
    return SyncEngine(cfg, store, passwords=kw.pop("passwords", None) or _passwords(), **kw)


def existing_store(args: argparse.Namespace) -> str:
    """The database of a command that only reads. A SQLite file must exist already: opening one
    creates it, and a mistyped path would show an empty inventory instead of the mistake."""
    url = resolve_db(args)
    path = sqlite_path(url)
    if path is None:
        return url
    if path.is_file():
        # Read without writing: another application's database is refused, and an empty file
        # (0 bytes, or SQLite with no table) is no store yet: only a sync creates the schema.
        refuse_foreign_file(path)
        if stored_tables(path) == []:
            raise StoreError(
                f"there is no store at {path} yet (the file is empty): a sync creates the store"
            )
        return url
    if args.db:
        raise StoreError(f"there is no store at {path} (check --db; a sync creates the store)")
    if os.environ.get(DB_ENV):
        raise StoreError(f"there is no store at {path} (check {DB_ENV}; a sync creates the store)")
    raise StoreError(f"there is no store yet at {path}: run `tui-inventory sync --once` first")


def sync(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    if args.buildup and args.update:
        raise InventoryError("choose --buildup or --update, not both")
    mode = "buildup" if args.buildup else "update" if args.update else "auto"
    # The daemon always logs JSON lines (one object per line, for journald and log shippers).
    json_log = bool(getattr(args, "json_log", False)) or not args.once
    lease_ttl = getattr(args, "lease_ttl", None)
    serve = getattr(args, "serve", None)
    if serve and args.once:
        raise InventoryError("--serve is for the daemon: drop --once")
    with Store(resolve_db(args)) as store:
        reporter = JsonReporter() if json_log else line_reporter()
        extra: dict[str, Any] = {"lease_ttl": lease_ttl} if lease_ttl else {}
        if not args.once:  # the daemon's metrics follow its engine and its HTTP clients
            from tui_inventory.ops.metrics import METRICS

            extra["client_factory"] = METRICS.client_factory()
            engine = _engine(cfg, store, on_event=_both(reporter, METRICS), **extra)
        else:
            engine = _engine(cfg, store, on_event=reporter, **extra)
        if args.once:
            if isinstance(reporter, JsonReporter):
                outcome = Outcome()
                engine.on_event = _both(outcome.note, reporter)
            terminated = _cancel_on_signals(engine)
            try:
                result = engine.run(mode, allow_mass_delete=args.allow_mass_delete)
            finally:
                if not isinstance(reporter, JsonReporter):
                    reporter.close()
            if isinstance(reporter, JsonReporter):
                reporter.emit("info", "stored", counts=store.counts())
                outcome.write()
            else:
                reporter.finish(store)
            if terminated:
                then = "resumes" if result.mode == "buildup" else "runs again"
                name = "Ctrl-C" if terminated[0] == signal.SIGINT else "SIGTERM"
                print(
                    f"tui-inventory: stopped by {name}: run {result.run_id} ({result.mode}) "
                    f"cancelled after the page being stored; it {then} at the next sync",
                    file=sys.stderr,
                )
                return 128 + terminated[0]
            return 0 if result.ok else 1
        assert isinstance(reporter, JsonReporter)
        daemon = Daemon(engine, cfg, reporter, mode=mode, allow_mass_delete=args.allow_mass_delete)
        daemon.install_signal_handlers()
        from tui_inventory.ops.metrics import event_outcome
        from tui_inventory.ops.service import Service

        daemon.events.on_applied = lambda applied: METRICS.count_event(
            event_outcome(applied.outcome)
        )

        with Service(store, cfg, reporter, listen=serve):
            return daemon.run()


# `sync --once` stopped by SIGTERM (systemd's stop, a cron timeout, `kill`): 128 + 15, the status a
# shell gives a process that SIGTERM ended, so supervisors read it alike (SPEC §6).
EXIT_TERMINATED = 128 + signal.SIGTERM


def _cancel_on_signals(engine: SyncEngine) -> list[int]:
    """Make SIGTERM and Ctrl-C (SIGINT) cancel `engine`'s run as the daemon does: the page being
    stored (or a request the upstream never answers) is let go, the run ends as cancelled and
    says so, the lease is released. A second Ctrl-C stops at once (KeyboardInterrupt). The list
    holds the signal that came."""
    came: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        if not came:
            came.append(signum)  # no output here: the handler may interrupt a write to stdout
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # the next one: at once
        engine.cancel()

    listener = engine.on_event

    def on_event(event: ev.EngineEvent) -> None:
        if came:  # a signal just before the run began (run() clears the cancel flag)
            engine.cancel()
        if listener is not None:
            listener(event)

    engine.on_event = on_event
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return came


def _both(
    first: Callable[[ev.EngineEvent], None], second: Callable[[ev.EngineEvent], None]
) -> Callable[[ev.EngineEvent], None]:
    def on_event(event: ev.EngineEvent) -> None:
        first(event)
        second(event)

    return on_event


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
        # A daemon or console with events on holds the lease between its syncs too: it listens.
        listening = lease is not None and holds_for_events(store, lease)
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
            "open_gaps": store.open_gaps(),
            "held_cleanups": {k: vars(h) for k, h in store.held_cleanups().items()},
            "sync_running": (
                {"host": lease.host, "pid": lease.pid, "since": lease.since}
                if lease is not None and not listening
                else None
            ),
            "events_listening": (
                {"host": lease.host, "pid": lease.pid, "since": lease.since}
                if lease is not None and listening
                else None
            ),
        }
    if args.json:
        json.dump(report, _stdout(), indent=2, ensure_ascii=False)
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
    listening = report["events_listening"]
    if listening:
        print(
            f"no sync running; the sync lease is held by {plain(listening['host'])} "
            f"(pid {listening['pid']}) since {utc_time(listening['since'])} for its event "
            "listener (a console or daemon with events on: it runs the periodic syncs itself)"
        )
    for run in report["last_runs"]:
        print(_run_line(run))
    for k, h in report["held_cleanups"].items():
        print(
            f"held cleanup: {k} would remove {h['would_remove']} of {h['total']}"
            f" (`tui-inventory cleanup {k}` lists them)"
        )
    unread: dict[str, list[int]] = {}
    for g in report["open_gaps"]:
        unread.setdefault(g["kind"], []).append(g["page"])
    for k, pages in unread.items():
        n = len(pages)
        print(
            f"{k}: {n} page{'s' if n > 1 else ''} not read yet (a gap: page "
            f"{', '.join(map(str, pages))}) — the next run reads {'them' if n > 1 else 'it'} again"
        )
    if report["gaps"]:
        print(f"gaps: {len(report['gaps'])} recorded, {len(report['open_gaps'])} open (see --json)")
    return 0


def _run_line(run: dict[str, Any]) -> str:
    """`run 3: buildup failed at … (reason)`: a finished run at its outcome's time, one still
    going with its start."""
    head = f"run {run['id']}: {run['mode']} {run['state']}"
    reason = f" ({plain(run['reason'])})" if run.get("reason") else ""
    if run.get("finished_at"):
        return f"{head} at {utc_time(run['finished_at'])}{reason}"
    if run["mode"] == "event":  # open as long as its listener: not a sync that never ends
        return f"run {run['id']}: event stream, live since {utc_time(run['started_at'])}"
    return f"{head}, started at {utc_time(run['started_at'])}{reason}"


def _run_report(store: Store, run: dict[str, Any]) -> dict[str, Any]:
    out = dict(run)
    out["types"] = {t["kind"]: t for t in store.type_runs(run["id"])}
    return out


class _Screen:
    """Stdout on a terminal: a terminal is a screen, so upstream text reaches it without control
    characters (an ESC in a name must not drive it); files and pipes get the bytes as stored."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(plain(text.replace("\r\n", "\n"), single_line=False))


def _stdout() -> TextIO:
    """Stdout, made safe for the screen when it is a terminal (see `_Screen`)."""
    return cast(TextIO, _Screen(sys.stdout)) if sys.stdout.isatty() else sys.stdout


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if not path or path == "-":
        yield _stdout()
        return
    try:
        with write_text(Path(path), newline="") as fh:
            yield fh
    except OSError as exc:
        raise InventoryError(f"cannot write {path}: {exc.strerror or exc}") from None


def export(args: argparse.Namespace) -> int:
    kind = args.kind
    with Store(existing_store(args)) as store, _output(args.output) as out:
        # One rule with the console's export: the file's extension, unless --format says.
        to_file = args.output and args.output != "-"
        fmt = args.format or (exporter.format_of(Path(args.output)) if to_file else "csv")
        n = exporter.write(out, store, TableQuery(kind, search=args.search), fmt)
    if args.output and args.output != "-":
        print(f"{n} {kind} written to {args.output}", file=sys.stderr)
    return 0


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
            _stdout(),
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
        for name, old, new in change_lines(r.changes):  # as the console's instance view
            print(f"    {change_text(name, old, new, limit=2000)}")
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
        if not args.headless:  # changes arrive live by event (SPEC §10), on loopback only
            cfg.set("events.enabled", True)
            cfg.set("events.listen", "127.0.0.1:0")
            os.environ.setdefault(EVENTS_TOKEN_ENV, token_urlsafe(32))  # this process's alone
            if args.change_rate > 0:
                sim.events.start_changes(args.change_rate)
        db_url = args.db or str(Path(tmp) / "demo.db")
        passwords = sim.passwords
        if not args.headless:
            from tui_inventory.app.main import run_console

            return run_console(cfg, db_url, passwords=passwords.get, demo=sim)
        with Store(db_url) as store:
            reporter = line_reporter()
            engine = _engine(cfg, store, on_event=reporter, passwords=passwords.get)
            try:
                first = engine.run("buildup")
                reporter.line(counts_line(store))
                sim.dataset.tick()
                second = engine.run("update")
            finally:
                reporter.close()
            reporter.finish(store)
        return 0 if first.ok and second.ok else 1


def console(args: argparse.Namespace) -> int:
    from tui_inventory.app.main import run_console

    # Leniently: a bad value takes the operator to Settings to mend it (see the app).
    cfg = resolve_config(args, lenient=True)
    # A read-only console never creates a store; the first start of a syncing one does.
    url = existing_store(args) if args.readonly else resolve_db(args)
    return run_console(cfg, url, passwords=_passwords(), readonly=args.readonly)
