"""What the store hands out and takes in: instance, revision, buildup and held-cleanup records, a
mapped instance encoded for writing, and the JSON and digest helpers every write uses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tui_inventory import jsonio
from tui_inventory.store.fts import search_text
from tui_inventory.times import now_iso as now_iso  # importable from here too
from tui_inventory.tmf.mapping import Mapped, is_modem

BATCH = 100  # instances per write batch, as the connector does
KEY_CHUNK = 500  # keys per IN (...) lookup


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept (`jsonio.dumps`: the digests of stored instances are taken
    from it)."""
    return jsonio.dumps(value)


def digest_of(fields_json: str) -> str:
    return hashlib.blake2b(fields_json.encode("utf-8"), digest_size=16).hexdigest()


def chunked(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class Encoded(NamedTuple):
    """A mapped instance as the store writes it: its fields as JSON and its search text already
    made (`encode`). A buildup encodes pages in the sync's process, so the store process — the
    buildup's busiest — only writes them, and a page crosses the pipe as strings, not as nested
    dicts."""

    key: str
    name: str
    status: str
    type: str
    site: str
    fields_json: str
    text: str  # `fts.search_text` of the instance as mapped
    modem: bool  # keeps the status already stored when it changes (SPEC §4)


def encode(m: Mapped) -> Encoded:
    return Encoded(
        m.key,
        m.name,
        m.status,
        m.type,
        m.site,
        dumps(m.fields),
        search_text(m.key, m.name, m.status, m.type, m.site, m.fields),
        is_modem(m),
    )


@dataclass(frozen=True)
class InstanceRecord:
    id: int
    kind: str
    key: str
    name: str
    status: str
    type: str
    site: str
    fields: dict[str, Any]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class RevisionRecord:
    id: int
    kind: str
    key: str
    at: str
    run: int | None
    change: str  # created | changed | removed
    name: str
    changes: dict[str, list[Any]]  # field -> [old, new]


@dataclass(frozen=True)
class BuildupRecord:
    kind: str
    run: int
    next_page: int
    pages_done: int
    received: int
    gaps: int
    started_at: str
    page_size: int = 0  # the page size its pages were counted in (0: not recorded)


@dataclass(frozen=True)
class HeldRecord:
    kind: str
    run: int
    scope: str
    would_remove: int
    total: int
    at: str


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name in new.keys() | old.keys():
        before, after = old.get(name), new.get(name)
        if before != after:
            out[name] = [before, after]
    return out


def with_status(kind: str, fields: dict[str, Any], status: str) -> dict[str, Any]:
    name = "Operational Status" if kind == "carriers" else "Status"
    out = dict(fields)
    out[name] = status
    return out


def _record(row: Any) -> InstanceRecord:
    return InstanceRecord(
        id=row.id,
        kind=row.kind,
        key=row.key,
        name=row.name,
        status=row.status,
        type=row.type,
        site=row.site,
        fields=json.loads(row.fields),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
