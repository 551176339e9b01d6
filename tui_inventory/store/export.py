"""The one exporter, for the CLI's `export` and the console's `e`: the instances a table query
shows, as CSV, JSON or JSON lines, with the columns SPEC §6 names.

Each instance is an object of `id` (its key), `name`, `status`, `type` and `fields` (every mapped
field, values in their JSON types); CSV has those four columns, then a column per field of the
inventory's definition (a list or an object as JSON text). Files and pipes get the values as
stored: a terminal is the CLI's to protect.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, TextIO

from tui_inventory.errors import StoreError
from tui_inventory.files import write_text
from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.repo import Store
from tui_inventory.store.table_query import TableQuery

Format = Literal["csv", "json", "jsonl"]
COLUMNS = ("id", "name", "status", "type")


def format_of(path: Path) -> Format:
    """The format a file's name asks for: .json JSON, .jsonl JSON lines, anything else CSV."""
    suffix = path.suffix.lower()
    return "json" if suffix == ".json" else "jsonl" if suffix == ".jsonl" else "csv"


def records(store: Store, q: TableQuery) -> Iterator[dict[str, Any]]:
    """The rows of `q` in its order, as the export's objects. The whole inventory in key order
    is read by key (a sync writing meanwhile cannot make it skip or repeat an instance)."""
    if q.normalized() == TableQuery(q.kind):
        for rec in store.iter_instances(q.kind):
            yield {
                "id": rec.key,
                "name": rec.name,
                "status": rec.status,
                "type": rec.type,
                "fields": rec.fields,
            }
        return
    for row, fields in InventoryQuery(store).iter_instances(q):
        yield {
            "id": row.key,
            "name": row.name,
            "status": row.status,
            "type": row.type,
            "fields": fields,
        }


def write(out: TextIO, store: Store, q: TableQuery, fmt: Format) -> int:
    """Write the rows of `q` to `out` in `fmt`; the number written."""
    n = 0
    rows = records(store, q)
    if fmt == "csv":
        names = [f.name for f in store.definitions()[q.kind].fields]
        writer = csv.writer(out)
        writer.writerow([*COLUMNS, *names])
        for rec in rows:
            fields = rec["fields"]
            writer.writerow([*(rec[c] for c in COLUMNS), *(_cell(fields.get(f)) for f in names)])
            n += 1
    elif fmt == "jsonl":
        for rec in rows:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    else:
        out.write("[")
        for rec in rows:
            out.write(("\n" if n == 0 else ",\n") + json.dumps(rec, ensure_ascii=False))
            n += 1
        out.write("\n]\n")
    return n


def export_file(store: Store, q: TableQuery, path: Path, fmt: Format | None = None) -> int:
    """Write the rows of `q` to the file `path` (its name tells the format unless `fmt` does),
    whole or not at all (`files.write_text`: through a link, into a device or pipe as it is).
    The number written."""
    try:
        with write_text(path, newline="") as out:
            return write(out, store, q, fmt or format_of(path))
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
