"""The `tui-inventory` command line (SPEC §6).

Expected failures print one sentence to stderr and exit non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence

from tui_inventory import KINDS, __version__
from tui_inventory.config import (  # noqa: F401  (importable from here)
    APIS,
    KEYS,
    KEYS_BY_NAME,
    Config,
    default_db_url,
    load_config,
    resolve_config,
    resolve_db,
    save_config,
)
from tui_inventory.errors import ConfigError, InventoryError, SecretsError
from tui_inventory.text import plain

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

    demo = sub.add_parser(
        "demo",
        help="the console on an embedded simulator, no set-up needed",
        description="The console on an embedded simulator, in a throw-away directory: its\n"
        "settings and store go at the end (--db keeps the store). No set-up, no password.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--headless", action="store_true", help="no console: a buildup and an update, printed"
    )
    _simulated_data(demo, services=600, carriers=150, resources=3000, latency_ms=40)
    demo.add_argument(
        "--change-rate",
        type=float,
        default=0.5,
        metavar="N",
        help="the upstream changes N instances a second, each told to the console by an event "
        "(0: no changes by event; default: %(default)s)",
    )

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
    sync.add_argument(
        "--serve",
        metavar="HOST:PORT",
        help="the daemon serves /metrics, /livez and /readyz there (or the setting ops.listen)",
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

    sim = sub.add_parser(
        "simulate",
        help="run the simulator alone",
        description="The TMF638/TMF639 simulator alone, on 127.0.0.1 (both dialects), until\n"
        "Ctrl-C. It prints its URLs, users and passwords, and the commands that point\n"
        "tui-inventory at it.",
        epilog=_faults_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument(
        "--port", type=int, default=8638, help="TCP port (0: any free; default: %(default)s)"
    )
    _simulated_data(sim, services=1000, carriers=200, resources=5000, latency_ms=0)
    sim.add_argument(
        "--faults",
        metavar="SPEC",
        help="faults on chosen pages, KIND:FAULT@PAGE[xTIMES] comma-separated, e.g. "
        "services:504@3x2,resources:502@5 (TIMES: requests that fail, -1 always), and on "
        "events, events:NAME=P or events:real (the fault kinds are listed below)",
    )
    sim.add_argument(
        "--changes-per-poll",
        type=int,
        default=5,
        help="upstream changes each periodic update (a services listing with updatedDaysAgo) "
        "finds (default: %(default)s)",
    )
    sim.add_argument(
        "--change-rate",
        type=float,
        default=0.0,
        metavar="N",
        help="change N instances a second, each told by an event to the registered hubs "
        "(default: %(default)s)",
    )

    cfg = sub.add_parser("config", help="show or change settings")
    csub = cfg.add_subparsers(dest="action", metavar="ACTION", required=True)
    csub.add_parser("show", help="every setting and where passwords come from")
    cset = csub.add_parser("set", help="set one key")
    # Checked by `config set` itself: a password key gets pointed to set-password, not a list.
    cset.add_argument("key", metavar="KEY", help=", ".join(k.name for k in KEYS))
    cset.add_argument("value", help='the new value ("" empties a key whose default is empty)')
    cpw = csub.add_parser("set-password", help="save an API's password in the OS keyring")
    cpw.add_argument("api", choices=APIS, help="the API whose password to save")

    st = sub.add_parser("status", help="counts, last runs, buildup state, gaps")
    st.add_argument("--json", action="store_true", help="print the status as one JSON object")

    ex = sub.add_parser("export", help="write an inventory as CSV, JSON or JSON lines")
    ex.add_argument("kind", choices=KINDS, help="the inventory to write")
    ex.add_argument(
        "--format",
        choices=("csv", "json", "jsonl"),
        help="csv (a column per field), json (a list of objects) or jsonl (an object a line); "
        "default: the extension of -o FILE picks it (.json JSON, .jsonl JSON lines, any other "
        "CSV, as in the console), and CSV on stdout",
    )
    ex.add_argument(
        "--search", metavar="Q", help="only the instances the console's search for Q shows"
    )
    ex.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (replaced atomically; through a symlink; into a FIFO or a device "
        "as it is) instead of stdout",
    )

    hi = sub.add_parser("history", help="an instance's revisions")
    hi.add_argument("kind", choices=KINDS, help="the instance's inventory")
    hi.add_argument(
        "key", help="the instance's key (ExternalId for services and carriers, Id for resources)"
    )
    hi.add_argument(
        "--json",
        action="store_true",
        help="the revisions as JSON, each changed field's old and new value",
    )

    from tui_inventory import audit_cli  # verify, changes, cleanup (SPEC §11)

    audit_cli.add_parsers(sub)
    return p


def _simulated_data(
    parser: argparse.ArgumentParser,
    *,
    services: int,
    carriers: int,
    resources: int,
    latency_ms: int,
) -> None:
    """The options of the simulated inventories, shared by `demo` and `simulate`."""
    parser.add_argument(
        "--services", type=int, default=services, help="services to generate (default: %(default)s)"
    )
    parser.add_argument(
        "--carriers", type=int, default=carriers, help="carriers to generate (default: %(default)s)"
    )
    parser.add_argument(
        "--resources",
        type=int,
        default=resources,
        help="resources to generate (some filtered) (default: %(default)s)",
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=latency_ms,
        help="delay added to every response (ms) (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed: the same seed, the same inventories (default: %(default)s)",
    )


def _faults_epilog() -> str:
    from tui_inventory.simulator.faults import EVENT_FAULT_HELP, FAULT_HELP

    width = max(len(name) for name in FAULT_HELP)
    lines = [f"  {name:<{width}}  {text}" for name, text in FAULT_HELP.items()]
    events = [f"  {name:<{width}}  {text}" for name, text in EVENT_FAULT_HELP.items()]
    return (
        "fault kinds (--faults KIND:FAULT@PAGE[xTIMES]):\n"
        + "\n".join(lines)
        + "\n\nevent faults (--faults events:NAME=P, P the probability between 0 and 1):\n"
        + "\n".join(events)
    )


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
            change_rate=args.change_rate,
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

    # Leniently: a bad value already in the file is shown and can be mended, never a lock-out.
    cfg = load_config(args.config, lenient=True)
    if args.action == "show":
        print(f"# {cfg.path}")
        for key in KEYS:
            value = cfg.get(key.name)
            problem = cfg.problems.get(key.name)
            if problem is not None:
                print(f"{key.name} = {_raw(problem.raw)}  # BAD: {plain(problem.message)}")
            else:
                print(f"{key.name} = {_shown(value)}")
        for name, problem in cfg.problems.items():
            if name not in KEYS_BY_NAME:
                print(f"{plain(name)} = {_raw(problem.raw)}  # BAD: {plain(problem.message)}")
        said: set[str] = set()  # a keyring's explanation once, however many APIs share it
        for api in APIS:
            try:
                source = secrets.password_source(api)
            except InventoryError as exc:
                source = (
                    f"unknown ({exc.message})" if exc.message not in said else "unknown (as above)"
                )
                said.add(exc.message)
            print(f"{api}.password: {source}")
        print(f"database = {args.db or default_db_url()}")
        _report_problems(cfg)
        return 0
    if args.action == "set":
        api = args.key.split(".", 1)[0]
        if args.key.rsplit(".", 1)[-1].lower() == "password":
            target = api if api in APIS else "{tmf638,tmf639}"
            raise ConfigError(
                "passwords are not settings (never written to the file): save one in the "
                f"keyring with `tui-inventory config set-password {target}`"
            )
        cfg.set(args.key, args.value)
        try:
            path = save_config(cfg)
        except OSError as exc:
            raise ConfigError(f"cannot write {cfg.path}: {exc.strerror or exc}") from None
        print(f"{args.key} = {_shown(cfg.get(args.key))} (saved to {path})")
        _report_problems(cfg)
        return 0
    if args.action == "set-password":
        # Before asking for it: a password typed for nothing is the operator's time lost.
        status = secrets.keyring_status()
        if not status.usable:
            raise SecretsError(status.explanation)  # it names the environment variables too
        if sys.stdin.isatty():
            password = getpass.getpass(f"Password for {args.api.upper()}: ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        print(secrets.set_password(args.api, password))
        return 0
    raise AssertionError(args.action)


def _shown(value: object) -> str:
    """A setting's value as `config show` prints it: text through `plain` (never a control
    character to the terminal), None as nothing, numbers and booleans as Python writes them."""
    return "" if value is None else plain(value) if isinstance(value, str) else str(value)


def _raw(value: object) -> str:
    """A refused value as the file holds it, quoted when text (so `"5"` and `5` differ)."""
    return plain(json.dumps(value, ensure_ascii=False, default=str))


def _report_problems(cfg: Config) -> None:
    """On stderr: the file still holds refused values (a sync refuses to start until mended)."""
    bad = sorted(n for n in cfg.problems if n in KEYS_BY_NAME)
    unknown = sorted(n for n in cfg.problems if n not in KEYS_BY_NAME)
    if bad:
        print(
            f"tui-inventory: {cfg.path} still has {len(bad)} bad value(s) ({', '.join(bad)}); "
            "mend each with `tui-inventory config set KEY VALUE`",
            file=sys.stderr,
        )
    if unknown:
        names = plain(", ".join(unknown))
        print(
            f"tui-inventory: {cfg.path} has setting(s) this version does not know ({names}); "
            "remove them from the file",
            file=sys.stderr,
        )
