"""Case-insensitive, type-tolerant reading of one upstream entity (SPEC §3, reference/tmf.md §10).

Upstream field names come in camelCase (TMF) or PascalCase (the SES gateway), values may have the
wrong JSON type, and absent, null, "" and [] all mean "nothing". `Source` wraps one decoded entity:
it indexes the top-level names once, hands values out by lower-case name, and remembers what the
mapping consumed so everything else can be kept verbatim in "Other Fields". Nested objects are
read through `members.spelled`.
"""

from __future__ import annotations

import math
from typing import Any

_ALL = object()  # marks a top-level field the mapping consumed whole


def is_empty(value: Any) -> bool:
    """Absent, null, "", [] and {} all carry nothing."""
    return value is None or (type(value) in (str, list, dict) and not value)


def text(value: Any) -> str | None:
    """A text field's value: strings verbatim, scalars in their JSON spelling, else None."""
    kind = type(value)
    if kind is str:
        return value or None
    if value is None:  # absent members are the next most common case
        return None
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return str(value)
    if isinstance(value, str):  # a str subclass
        return str(value) or None
    return None


def key_text(value: Any) -> str | None:
    """An identifier as a string: stripped text, or the string form of a number; else None."""
    kind = type(value)
    if kind is str:
        return value.strip() or None
    if value is None:
        return None
    if kind is int:
        return str(value)
    if kind is float:
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return None


# The entities of a page share a handful of key layouts, so the lower-case index of a layout is
# computed once and reused. Hostile payloads could invent layouts without end: the cache is emptied
# when it fills up.
_CACHE_LIMIT = 4096
_index_layouts: dict[tuple[Any, ...], dict[str, Any]] = {}


def _new_index(layout: tuple[Any, ...]) -> dict[str, Any]:
    """lower-case name → the payload's key (the first spelling when a name comes twice)."""
    if len(_index_layouts) >= _CACHE_LIMIT:
        _index_layouts.clear()
    index: dict[str, Any] = {}
    for k in layout:
        if isinstance(k, str):
            index.setdefault(k.lower(), k)
    _index_layouts[layout] = index
    return index


def find_ci(raw: dict[Any, Any], lname: str) -> Any:
    """The value of the first top-level field named `lname` without regard to case, else None.

    Scans in payload order, so it agrees with `Source` when two spellings of one name exist.
    """
    n = len(lname)
    for k, v in raw.items():
        if isinstance(k, str) and len(k) == n and k.lower() == lname:
            return v
    return None


class Source:
    """One upstream entity: case-insensitive access plus the record of what was consumed."""

    __slots__ = ("_index", "_partial", "_taken", "raw")

    def __init__(self, raw: dict[Any, Any]) -> None:
        self.raw = raw
        layout = tuple(raw)
        # shared between entities of one layout: never modified
        self._index = _index_layouts.get(layout) or _new_index(layout)
        self._taken: dict[Any, Any] = {}  # field key → _ALL, or the items left of a list
        self._partial = False  # whether any field of _taken is a list only partly used

    def get(self, lname: str) -> Any:
        """The value of field `lname` (lower-case), without consuming it."""
        k = self._index.get(lname)
        return None if k is None else self.raw[k]

    def first_text(self, *lnames: str) -> str | None:
        """The first of `lnames` holding text or a scalar; consumes it and the empty ones passed."""
        index = self._index
        for lname in lnames:
            k = index.get(lname)
            if k is None:
                continue
            v = self.raw[k]
            if type(v) is str and v:  # the usual case, without the calls below
                self._taken[k] = _ALL
                return v
            out = text(v)
            if out is not None:
                self._taken[k] = _ALL
                return out
            if is_empty(v):
                self._taken[k] = _ALL
        return None

    def take_key(self, lname: str) -> tuple[str | None, bool]:
        """The entity's key from field `lname` and whether a (non-empty) value was there at all."""
        k = self._index.get(lname)
        if k is None:
            return None, False
        v = self.raw[k]
        if type(v) is str:  # the usual case: present exactly when not blank
            key = v.strip() or None
            present = key is not None
        else:
            key, present = key_text(v), not is_empty(v)
        if key is not None:
            self._taken[k] = _ALL
        return key, present

    def items(self, *lnames: str) -> tuple[Any, list[Any]]:
        """(field key, items) of the first of `lnames` holding a list or a single object.

        A field of another type is left alone (it ends up in Other Fields); settle() the returned
        key once the items are mapped.
        """
        index, raw = self._index, self.raw
        for lname in lnames:
            k = index.get(lname)
            if k is None:
                continue
            v = raw[k]
            kind = type(v)
            if kind is list or kind is dict:
                if v:
                    return k, v if kind is list else [v]
                self._taken[k] = _ALL
            elif v is None or (kind is str and not v):
                self._taken[k] = _ALL
        return None, []

    def obj(self, *lnames: str) -> tuple[Any, dict[Any, Any] | None]:
        """(field key, object) of the first of `lnames` holding an object; settle() the key."""
        for lname in lnames:
            k = self._index.get(lname)
            if k is None:
                continue
            v = self.raw[k]
            if type(v) is dict and v:
                return k, v
            if is_empty(v):
                self._taken[k] = _ALL
        return None, None

    def settle(self, key: Any, items: list[Any], rest: list[Any]) -> None:
        """Field `key` was mapped from `items`; the `rest` that could not be used stays in Other
        Fields (the raw value itself when nothing at all could be used)."""
        if key is None:
            return
        if not rest:
            self._taken[key] = _ALL
        elif len(rest) < len(items):
            self._taken[key] = rest
            self._partial = True

    def consume(self, key: Any) -> None:
        if key is not None:
            self._taken[key] = _ALL

    def rest(self) -> dict[str, Any]:
        """The top-level fields the mapping did not consume, in payload order."""
        taken = self._taken
        if not self._partial:
            return {k: v for k, v in self.raw.items() if k not in taken}
        out: dict[str, Any] = {}
        for k, v in self.raw.items():
            t = taken.get(k)
            if t is None:
                out[k] = v
            elif t is not _ALL:
                out[k] = t
        return out
