"""Faults injected on chosen pages: HTTP errors and bodies that are not the JSON a client expects.

A fault applies to one page of one collection, in either dialect (for `tmf630` the page is
`offset // limit + 1`), full listings and `updatedDaysAgo` listings alike, for a number of
requests (`times`, -1 meaning always) before that page serves normally again.

The SPEC string form, used by `tui-inventory simulate --faults`, is comma-separated
`KIND:FAULT@PAGE[xTIMES]`, e.g. `services:504@3x2,resources:502@5,carriers:401@1x-1`.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, replace
from typing import Any

from tui_inventory.simulator.generate import KINDS

# Every fault kind, with what the page then answers (listed by `simulate --help`).
FAULT_HELP: dict[str, str] = {
    "504": "HTTP 504 gateway timeout (a client retries the page)",
    "502": "HTTP 502 bad gateway (a client gives the type up for this run)",
    "500": "HTTP 500 internal error (a client gives the type up for this run)",
    "401": "HTTP 401 authentication failure",
    "403": "HTTP 403 forbidden",
    "429": "HTTP 429 too many requests, with Retry-After: 1",
    "503": "HTTP 503 unavailable, with Retry-After: 1",
    "html": "status 200 with an HTML page instead of JSON",
    "truncated": "the real page cut in half (JSON that does not parse)",
    "not-objects": "a JSON list of numbers, text and null: not one entity",
    "junk": "the real page with two of every three entities replaced by non-objects",
    "wrong-types": "the real page with fields of the wrong JSON type (a number for a name…)",
    "empty": "an empty list (ends the listing early)",
}
FAULTS: tuple[str, ...] = tuple(FAULT_HELP)
# The faults of the events the simulator POSTs to its hubs (see `provider`), for the help.
EVENT_FAULT_HELP: dict[str, str] = {
    "drop": "an event is not sent",
    "repeat": "an event is sent twice",
    "reorder": "an event is held back until after the next one",
    "truncate": "an event's body is cut in half",
    "real": "events:real: events in one real TMF639 server's shape (no probability)",
}
RETRY_AFTER_FAULTS = ("429", "503")
_SPEC_ITEM = re.compile(
    r"^(?P<kind>[a-z]+):(?P<fault>[a-z0-9-]+)@(?P<page>\d+)(?:x(?P<times>-?\d+))?$"
)
_SPEC_HELP = "expected KIND:FAULT@PAGE[xTIMES], e.g. services:504@3x2"


@dataclass(frozen=True)
class Fault:
    kind: str
    page: int
    fault: str
    times: int = 1  # requests still to fail; -1 = always
    retry_after: str | None = None  # the Retry-After header for 429/503 (default "1")


def _validated(kind: str, page: int, fault: str, times: int, retry_after: str | None) -> Fault:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} in fault; expected one of {', '.join(KINDS)}")
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
    if page < 1:
        raise ValueError(f"fault page must be 1 or more (pages are numbered from 1), not {page}")
    if times == 0 or times < -1:
        raise ValueError(f"fault times must be a positive count or -1 (always), not {times}")
    if retry_after is None and fault in RETRY_AFTER_FAULTS:
        retry_after = "1"
    return Fault(kind, page, fault, times, retry_after)


def event_items(spec: str | None) -> list[str]:
    """The event faults of a SPEC string (`events:drop=0.1` -> `drop=0.1`)."""
    items = [raw.strip() for raw in (spec or "").split(",")]
    return [item[len("events:") :] for item in items if item.startswith("events:")]


def parse_spec(spec: str) -> list[Fault]:
    """Parse a SPEC string; raises ValueError with one clear sentence for a bad one."""
    faults = []
    events = False
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if item.startswith("events:"):  # event faults: see `simulator.provider`
            events = True
            continue
        match = _SPEC_ITEM.match(item)
        if match is None:
            raise ValueError(f"bad fault {item!r}: {_SPEC_HELP}")
        times = int(match["times"]) if match["times"] is not None else 1
        faults.append(_validated(match["kind"], int(match["page"]), match["fault"], times, None))
    if not faults and not events:
        raise ValueError(f"empty fault list: {_SPEC_HELP}")
    return faults


# The faults that change the real page rather than replace it.
PAGE_FAULTS = ("truncated", "junk", "wrong-types")
# What stands in for an entity on a `junk` page: JSON that is not an object.
JUNK: tuple[Any, ...] = (1, "two", None, [3, "four"], True, 5.5)


def spoil(fault: str, body: bytes) -> bytes:
    """The real page `body` (a JSON list of entities) spoilt by a PAGE_FAULTS fault."""
    if fault == "truncated":
        return body[: len(body) // 2]
    entities = json.loads(body)
    if fault == "junk":  # the first of every three entities kept, the others junk
        spoilt = [e if i % 3 == 0 else JUNK[i % len(JUNK)] for i, e in enumerate(entities)]
    else:
        spoilt = [_wrong_types(e) for e in entities]
    return json.dumps(spoilt, ensure_ascii=False).encode()


def _wrong_types(entity: Any) -> Any:
    """Fields of the wrong JSON type, in either dialect's spelling: a number for the name, an
    object for the status, an object where a list belongs and lists where objects belong."""
    if not isinstance(entity, dict):
        return entity
    out = dict(entity)
    for name, value in entity.items():
        low = name.lower()
        if low == "name":
            out[name] = 12345
        elif low in ("status", "state"):
            out[name] = {"code": value, "since": "2026-01-01"}
        elif low == "place":
            out[name] = {"id": "SITE-OBJECT", "name": "an object, not a list"}
        elif low in ("servicecharacteristic", "resourcecharacteristic") and value:
            out[name] = [["CIR_Mbps", 20], *value[1:]]  # a list where an object belongs
        elif low == "resourcespecification":
            out[name] = ["RS-LIST", 1]
    return out


class Faults:
    """The pending faults, consumed in the order they were added; safe to use from any thread."""

    def __init__(self, spec: str | None = None) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = parse_spec(spec) if spec else []

    def add(
        self, kind: str, page: int, fault: str, times: int = 1, *, retry_after: str | None = None
    ) -> None:
        item = _validated(kind, page, str(fault), times, retry_after)
        with self._lock:
            self._pending.append(item)

    def add_spec(self, spec: str) -> None:
        items = parse_spec(spec)
        with self._lock:
            self._pending.extend(items)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._pending)

    def take(self, kind: str, page: int) -> Fault | None:
        """The fault this request of `page` gets, if any, counting it down."""
        with self._lock:
            for n, item in enumerate(self._pending):
                if item.kind == kind and item.page == page:
                    if item.times > 1:
                        self._pending[n] = replace(item, times=item.times - 1)
                    elif item.times == 1:
                        del self._pending[n]
                    return item
            return None
