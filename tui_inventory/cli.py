"""The `tui-inventory` command line (SPEC §6).

Expected failures print one sentence to stderr and exit non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tui_inventory import KINDS, __version__
from tui_inventory.config import APIS, KEYS, Config, default_db_url, load_config, save_config
from tui_inventory.errors import InventoryError

log = logging.getLogger("tui_inventory")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tui-inventory",
        description="Terminal console for a TMF638/TMF639 network inventory.",
    )
    p.add_argument("--version", action="version", version=f"tui-inventory {__version__}")
    p.add_argument("--config", metavar="FILE", help="settings file (or TUI_INVENTORY_CONFIG)")
    p.add_argument(
        "--db", metavar="URL", help="SQLite path or postgresql:// URL (or TUI_INVENTORY_DB)"
    )
    p.add_argument("--debug", action="store_true", help="verbose log file (still without secrets)")
    p.add_argument(
        "--readonly", action="store_true", help="console: never sync, only show the store"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the console on an embedded simulator, no set-up needed")
    demo.add_argument(
        "--headless", action="store_true", help="no console: a buildup and an update, printed"
    )
    demo.add_argument("--services", type=int, default=600)
    demo.add_argument("--carriers", type=int, default=150)
    demo.add_argument("--resources", type=int, default=3000)
    demo.add_argument("--latency-ms", type=int, default=40)
    demo.add_argument("--seed", type=int, default=1)

    sync = sub.add_parser("sync", help="headless sync: one run (--once) or a daemon")
    sync.add_argument("--once", action="store_true", help="one run, then exit (0 only on success)")
    sync.add_argument(
        "--buildup", action="store_true", help="a buildup (resumes an interrupted one)"
    )
    sync.add_argument("--update", action="store_true", help="a periodic update now")
    sync.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let a cleanup remove more than sync.max_delete_fraction",
    )
    sync.add_argument(
        "--json-log",
        action="store_true",
        help="progress as JSON lines (always so for the daemon)",
    )
    # Hidden: how long the lease outlives its holder (seconds); short in tests of takeovers.
    sync.add_argument("--lease-ttl", type=float, default=None, help=argparse.SUPPRESS)

    mig = sub.add_parser(
        "migrate", help="copy a whole store (revisions included) to another database"
    )
    mig.add_argument(
        "--from", dest="source", required=True, metavar="SRC", help="SQLite path or URL"
    )
    mig.add_argument(
        "--to", dest="dest", required=True, metavar="DEST", help="postgresql:// URL or path"
    )
    mig.add_argument(
        "--force", action="store_true", help="replace what a non-empty destination holds"
    )

    sim = sub.add_parser("simulate", help="run the simulator alone")
    sim.add_argument("--port", type=int, default=8638)
    sim.add_argument("--services", type=int, default=1000)
    sim.add_argument("--carriers", type=int, default=200)
    sim.add_argument("--resources", type=int, default=5000)
    sim.add_argument("--latency-ms", type=int, default=0)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--faults", metavar="SPEC", help="e.g. services:504@3x2,resources:502@5")
    sim.add_argument("--changes-per-poll", type=int, default=5)

    cfg = sub.add_parser("config", help="show or change settings")
    csub = cfg.add_subparsers(dest="action", metavar="ACTION", required=True)
    csub.add_parser("show", help="every setting and where passwords come from")
    cset = csub.add_parser("set", help="set one key")
    cset.add_argument("key", choices=[k.name for k in KEYS], metavar="KEY")
    cset.add_argument("value")
    cpw = csub.add_parser("set-password", help="save an API's password in the OS keyring")
    cpw.add_argument("api", choices=APIS)

    st = sub.add_parser("status", help="counts, last runs, buildup state, gaps")
    st.add_argument("--json", action="store_true")

    ex = sub.add_parser("export", help="write an inventory as CSV, JSON or JSON lines")
    ex.add_argument("kind", choices=KINDS)
    ex.add_argument("--format", choices=("csv", "json", "jsonl"), default="csv")
    ex.add_argument("--search", metavar="Q")
    ex.add_argument("-o", "--output", metavar="FILE")

    hi = sub.add_parser("history", help="an instance's revisions")
    hi.add_argument("kind", choices=KINDS)
    hi.add_argument("key")
    hi.add_argument("--json", action="store_true")

    from tui_inventory import audit_cli  # verify, changes, cleanup (SPEC §11)

    audit_cli.add_parsers(sub)
    return p


# The status a shell shows for a process that SIGPIPE ended (128 + SIGPIPE).
BROKEN_PIPE_STATUS = 128 + 13


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from tui_inventory.logs import setup_logging

    try:
        setup_logging(debug=args.debug)
    except OSError as exc:
        print(f"tui-inventory: cannot open the log file: {exc}", file=sys.stderr)
    try:
        status = dispatch(args)
        try:  # what is left in the buffer fails here, not at interpreter exit
            sys.stdout.flush()
        except BrokenPipeError:
            # A command whose printer stopped when its reader went (a sync) still says by its
            # status how it went: a cron job piping it somewhere tells success from failure.
            discard_stdout()
        return status
    except BrokenPipeError:
        # The reader of our output went away (`| head`): not an error, nothing more to say.
        log.debug("%s: stdout closed by its reader", args.command or "console")
        discard_stdout()
        return BROKEN_PIPE_STATUS
    except InventoryError as exc:
        log.warning("%s: %s", args.command or "console", exc.message)
        print(f"tui-inventory: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tui-inventory: interrupted", file=sys.stderr)
        return 130


def discard_stdout() -> None:
    """Point stdout at the null device, so that the flush at interpreter exit (of what the closed
    pipe refused) does not fail a second time with "Exception ignored … BrokenPipeError"."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def dispatch(args: argparse.Namespace) -> int:
    from tui_inventory import commands

    command = args.command
    if command is None:
        return commands.console(args)
    if command == "demo":
        return commands.demo(args)
    if command == "simulate":
        from tui_inventory.simulator.cli import serve

        return serve(
            port=args.port,
            services=args.services,
            carriers=args.carriers,
            resources=args.resources,
            latency_ms=args.latency_ms,
            seed=args.seed,
            faults=args.faults,
            changes_per_poll=args.changes_per_poll,
        )
    if command == "config":
        return config_command(args)
    if command == "sync":
        return commands.sync(args)
    if command == "status":
        return commands.status(args)
    if command == "export":
        return commands.export(args)
    if command == "history":
        return commands.history(args)
    if command == "migrate":
        return commands.migrate(args)
    from tui_inventory import audit_cli

    if command in audit_cli.COMMANDS:
        return audit_cli.dispatch(args)
    raise AssertionError(command)


def config_command(args: argparse.Namespace) -> int:
    from tui_inventory import secrets

    cfg = load_config(args.config)
    if args.action == "show":
        print(f"# {cfg.path}")
        for key in KEYS:
            value = cfg.get(key.name)
            print(f"{key.name} = {'' if value is None else value}")
        for api in APIS:
            try:
                source = secrets.password_source(api)
            except InventoryError as exc:
                source = f"unknown ({exc.message})"
            print(f"{api}.password: {source}")
        print(f"database = {args.db or default_db_url()}")
        return 0
    if args.action == "set":
        cfg.set(args.key, args.value)
        path = save_config(cfg)
        print(f"{args.key} = {cfg.get(args.key)} (saved to {path})")
        return 0
    if args.action == "set-password":
        if sys.stdin.isatty():
            password = getpass.getpass(f"Password for {args.api.upper()}: ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        print(secrets.set_password(args.api, password))
        return 0
    raise AssertionError(args.action)


def resolve_db(args: argparse.Namespace) -> str:
    return args.db or os.environ.get("TUI_INVENTORY_DB") or default_db_url()


def resolve_config(args: argparse.Namespace) -> Config:
    return load_config(Path(args.config) if args.config else None)
