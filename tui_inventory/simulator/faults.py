"""Faults injected on chosen pages: HTTP errors and bodies that are not the JSON a client expects.

A fault applies to one page of one collection, in either dialect (for `tmf630` the page is
`offset // limit + 1`), full listings and `updatedDaysAgo` listings alike, for a number of
requests (`times`, -1 meaning always) before that page serves normally again.

The SPEC string form, used by `tui-inventory simulate --faults`, is comma-separated
`KIND:FAULT@PAGE[xTIMES]`, e.g. `services:504@3x2,resources:502@5,carriers:401@1x-1`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace

from tui_inventory.simulator.generate import KINDS

FAULTS: tuple[str, ...] = (
    "504", "502", "500", "401", "403", "429", "503", "html", "truncated", "not-objects", "empty",
)  # fmt: skip
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
