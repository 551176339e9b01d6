"""The audit commands of the command line (SPEC §11): `changes`, `cleanup`, `verify`.

`add_parsers` adds them to `cli.py`'s parser; `dispatch` runs one. Output to stdout, errors as one
sentence (an `InventoryError`) like every command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any

from tui_inventory import KINDS
from tui_inventory.commands import _engine, _passwords, existing_store
from tui_inventory.config import resolve_config
from tui_inventory.errors import InventoryError
from tui_inventory.store.changes import CHANGE_KINDS, ChangeWindow, parse_time, read_changes
from tui_inventory.store.repo import RevisionRecord, Store
from tui_inventory.text import plain
from tui_inventory.times import utc_time
from tui_inventory.tmf.definitions import DEFINITIONS

COMMANDS = ("changes", "cleanup", "verify")


def add_parsers(sub: Any) -> None:
    ch = sub.add_parser("changes", help="the revisions of a time window, oldest first")
    ch.add_argument("--since", metavar="TIME", help="ISO 8601 or a time ago (30m, 2h, 3d)")
    ch.add_argument("--until", metavar="TIME", help="ISO 8601 or a time ago (30m, 2h, 3d)")
    ch.add_argument("--inventory", choices=KINDS, metavar="KIND", help=", ".join(KINDS))
    ch.add_argument("--change", choices=CHANGE_KINDS, help="only changes of this kind")
    ch.add_argument("--json", action="store_true", help="the changes as JSON")

    cl = sub.add_parser("cleanup", help="look at a held-back cleanup; confirm or discard it")
    cl.add_argument("kind", choices=KINDS, help="the inventory whose held cleanup to show")
    decide = cl.add_mutually_exclusive_group()
    decide.add_argument("--confirm", action="store_true", help="run it (under the sync lease)")
    decide.add_argument("--discard", action="store_true", help="drop it: nothing is removed")
    cl.add_argument("--json", action="store_true", help="the list as JSON")

    ve = sub.add_parser(
        "verify", help="compare the store with upstream, read-only (exit 0 same, 1 not, 2 failed)"
    )
    ve.add_argument("kinds", nargs="*", metavar="KIND", help=f"{', '.join(KINDS)} (default: all)")
    ve.add_argument("--json", action="store_true", help="the report as JSON")


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "changes":
        return changes(args)
    if args.command == "cleanup":
        return cleanup(args)
    if args.command == "verify":
        return verify(args)
    raise AssertionError(args.command)


def _window(args: argparse.Namespace) -> ChangeWindow:
    return ChangeWindow(
        since=parse_time(args.since) if args.since else None,
        until=parse_time(args.until) if args.until else None,
        kind=args.inventory,
        change=args.change,
    )


def revision_json(rev: RevisionRecord) -> dict[str, Any]:
    return {
        "at": rev.at,
        "inventory": rev.kind,
        "key": rev.key,
        "change": rev.change,
        "name": rev.name,
        "run": rev.run,
        "changes": {k: {"old": v[0], "new": v[1]} for k, v in rev.changes.items()},
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def changes(args: argparse.Namespace) -> int:

    window = _window(args)
    with Store(existing_store(args)) as store:
        revisions = read_changes(store, window)
        if args.json:
            _json_list(revision_json(r) for r in revisions)
            print()
            return 0
        count = 0
        for r in revisions:
            count += 1
            title = DEFINITIONS[r.kind].title if r.kind in DEFINITIONS else r.kind
            print(f"{utc_time(r.at)}  {title}  {r.change}  {plain(r.key)}  {plain(r.name)}")
            for name, (old, new) in r.changes.items():
                print(f"    {plain(name)}: {plain(_cell(old))} -> {plain(_cell(new))}")
        print(f"{count} revision(s)")
    return 0


def _json_list(items: Iterable[Any]) -> None:
    """A JSON list written as it is read: a window of a million revisions never sits in memory."""
    out = sys.stdout
    first = True
    out.write("[")
    for item in items:
        out.write("\n  " if first else ",\n  ")
        out.write(json.dumps(item, ensure_ascii=False))
        first = False
    out.write("\n]" if not first else "]")


def cleanup(args: argparse.Namespace) -> int:
    """List what a held-back cleanup would remove; `--confirm` runs it, `--discard` drops it."""
    from tui_inventory.store.cleanup import candidates

    kind = args.kind
    with Store(existing_store(args)) as store:
        held = store.held_cleanups().get(kind)
        if held is None:
            raise InventoryError(f"no cleanup of {kind} is waiting for confirmation")
        if args.confirm or args.discard:
            engine = _engine(resolve_config(args), store)
            if args.discard:
                engine.discard_cleanup(kind)
                print(f"held-back cleanup of {kind} discarded: nothing removed")
                return 0
            removed = engine.confirm_cleanup(kind)
            print(f"cleanup of {kind} confirmed: removed {removed}")
            return 0
        listed = candidates(store, held)
        if args.json:
            head = {
                "inventory": kind,
                "scope": held.scope,
                "run": held.run,
                "at": held.at,
                "would_remove": held.would_remove,
                "total": held.total,
            }
            sys.stdout.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "instances": ')
            _json_list(
                {"id": c.key, "name": c.name, "status": c.status, "type": c.type} for c in listed
            )
            sys.stdout.write("}\n")
            return 0
        print(
            f"held-back cleanup of {kind} ({held.scope} run {held.run}, {utc_time(held.at)}): "
            f"it would remove {held.would_remove} of {held.total}"
        )
        for c in listed:
            print(f"  {plain(c.key)}  {plain(c.name)}  {plain(c.status)}  {plain(c.type)}")
        print(f"`tui-inventory cleanup {kind} --confirm` removes them; --discard keeps them")
    return 0


def verify(args: argparse.Namespace) -> int:
    """Compare the store with upstream; exit 0 identical, 1 differences, 2 incomplete."""
    from tui_inventory.store.readonly import ReadOnlyStore
    from tui_inventory.sync.verify import Verifier

    unknown = [k for k in args.kinds if k not in KINDS]
    if unknown:
        raise InventoryError(f"no inventory {unknown[0]!r}: choose from {', '.join(KINDS)}")
    cfg = resolve_config(args)
    kinds = tuple(k for k in KINDS if k in args.kinds) if args.kinds else KINDS
    store = ReadOnlyStore(existing_store(args))
    try:
        report = Verifier(cfg, store, passwords=_passwords()).run(kinds)
    finally:
        store.close()
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        for kind, check in report.inventories.items():
            print(
                f"{kind}: checked {check.checked}, missing {len(check.missing)}, "
                f"extra {len(check.extra)}, different {len(check.different)}"
            )
            for key in check.missing:
                print(f"  missing    {plain(key)}")
            for key in check.extra:
                print(f"  extra      {plain(key)}")
            for d in check.different:
                print(f"  different  {plain(d.key)}")
                for name, (stored, upstream) in d.fields.items():
                    print(f"    {plain(name)}: {plain(_cell(stored))} -> {plain(_cell(upstream))}")
        print("identical" if report.identical else "differences found" if report.complete else "")
    for kind, check in report.inventories.items():
        for failure in check.failures:
            print(f"tui-inventory: verify of {kind} incomplete: {plain(failure)}", file=sys.stderr)
    return report.exit_status
