"""Case-insensitive, type-tolerant reading of one upstream entity (SPEC §3, reference/tmf.md §10).

Upstream field names come in camelCase (TMF) or PascalCase (the SES gateway), values may have the
wrong JSON type, and absent, null, "" and [] all mean "nothing". `Source` wraps one decoded entity:
it hands values out by lower-case name (worked out once per layout of names) and drops what the
mapping consumes, so what is left is kept verbatim in "Other Fields". Nested objects are read
through `members.spelled`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_ABSENT = object()  # "no such field", for dict.get: None is a value a field can hold


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


# The entities of a page share a handful of key layouts, so how to read a layout is worked out once
# and reused. Hostile payloads could invent layouts without end: the cache is emptied when full.
_CACHE_LIMIT = 4096
_layouts: dict[tuple[Any, ...], tuple[tuple[Any, ...], dict[Any, Any]]] = {}


def _layout(layout: tuple[Any, ...]) -> tuple[tuple[Any, ...], dict[Any, Any]]:
    """(the name each field is read by, name → the payload's key) for one layout of fields.

    A field is read by its lower-case name; the later spellings of a name that comes twice, and
    keys that are not text, get a name no lookup uses, `(key,)`, so they always stay in Other Fields
    (the first spelling wins, as in `find_ci`).
    """
    if len(_layouts) >= _CACHE_LIMIT:
        _layouts.clear()
    names: list[Any] = []
    keys: dict[Any, Any] = {}
    for k in layout:
        name = k.lower() if isinstance(k, str) else (k,)
        if name in keys:
            name = (k,)
        names.append(name)
        keys[name] = k
    read = _layouts[layout] = (tuple(names), keys)
    return read


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
    """One upstream entity: case-insensitive access plus the record of what was consumed.

    `_left` holds the fields not consumed yet, by lower-case name and in payload order: consuming a
    field deletes it, a list only partly used is replaced by its unused items in place, and what is
    left at the end is "Other Fields" — no pass over the consumed fields is needed.
    """

    __slots__ = ("_keys", "_left")

    def __init__(self, raw: dict[Any, Any]) -> None:
        layout = tuple(raw)
        names, self._keys = _layouts.get(layout) or _layout(layout)
        self._left: dict[Any, Any] = dict(zip(names, raw.values()))  # noqa: B905 (same length)

    def first_text(self, *lnames: str) -> str | None:
        """The first of `lnames` holding text or a scalar; consumes it and the empty ones passed."""
        left = self._left
        v = left.get(lnames[0])
        if type(v) is str and v:  # the usual case: the first name holds text
            del left[lnames[0]]
            return v
        for lname in lnames:
            v = left.get(lname, _ABSENT)
            if v is _ABSENT:
                continue
            if type(v) is str and v:
                del left[lname]
                return v
            out = text(v)
            if out is not None:
                del left[lname]
                return out
            if is_empty(v):
                del left[lname]
        return None

    def take_key(self, lname: str) -> tuple[str | None, bool]:
        """The entity's key from field `lname` and whether a (non-empty) value was there at all."""
        v = self._left.get(lname, _ABSENT)
        if v is _ABSENT:
            return None, False
        if type(v) is str:  # the usual case: present exactly when not blank
            key = v.strip() or None
            present = key is not None
        else:
            key, present = key_text(v), not is_empty(v)
        if key is not None:
            del self._left[lname]
        return key, present

    def read(self, reader: Callable[[list[Any]], tuple[T, list[Any]]], *lnames: str) -> T | None:
        """What `reader` maps from the first of `lnames` holding a list or a single object, or None.

        `reader(items)` gives (what it mapped, the items it could not use): those stay in Other
        Fields (the field's own value when none could be used). A field of another type is left
        alone, for Other Fields.
        """
        left = self._left
        for lname in lnames:
            v = left.get(lname, _ABSENT)
            if v is _ABSENT:
                continue
            kind = type(v)
            if kind is list or kind is dict:
                if v:
                    items = v if kind is list else [v]
                    out, rest = reader(items)
                    if not rest:
                        del left[lname]
                    elif len(rest) < len(items):
                        left[lname] = rest  # in place: Other Fields keeps the payload's order
                    return out
                del left[lname]
            elif v is None or (kind is str and not v):
                del left[lname]
        return None

    def obj(self, *lnames: str) -> tuple[str | None, dict[Any, Any] | None]:
        """(field name, object) of the first of `lnames` holding an object; consume() the name
        once it is used."""
        left = self._left
        for lname in lnames:
            v = left.get(lname, _ABSENT)
            if v is _ABSENT:
                continue
            if type(v) is dict and v:
                return lname, v
            if is_empty(v):
                del left[lname]
        return None, None

    def consume(self, lname: str | None) -> None:
        if lname is not None:
            self._left.pop(lname, None)

    def rest(self) -> dict[str, Any]:
        """The top-level fields the mapping did not consume, in payload order."""
        keys = self._keys
        return {keys[name]: v for name, v in self._left.items()}
