"""The member names of nested upstream objects: refs, characteristics, places, parties.

A nested object is read through `spelled(item)`, which gives back the object and the `Spelling` to
read it with (readers test `CAMEL_NAMES.issuperset(item)` first, the usual case, to skip the call).
Objects spelled wholly in camelCase (TMF) or wholly in PascalCase (the SES gateway) are read as
they are, at the cost of one set comparison; any other object (mixed or odd casing,
members the mapping does not know) is re-keyed once to the TMF spelling, the first spelling of a
name winning, so names are always matched without regard to case.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Spelling:
    """How one family of objects spells each member the mapping reads."""

    id: str
    name: str
    role: str
    value: str
    value_type: str
    version: str
    type: str
    resource_type: str
    status: str
    state: str
    relationship_type: str
    resource: str
    party_or_party_role: str
    party: str
    place: str
    relationship_characteristic: str
    at_type: str
    referred_type: str


CAMEL = Spelling(
    id="id",
    name="name",
    role="role",
    value="value",
    value_type="valueType",
    version="version",
    type="type",
    resource_type="resourceType",
    status="status",
    state="state",
    relationship_type="relationshipType",
    resource="resource",
    party_or_party_role="partyOrPartyRole",
    party="party",
    place="place",
    relationship_characteristic="resourceRelationshipCharacteristic",
    at_type="@type",
    referred_type="@referredType",
)


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


PASCAL = Spelling(**{attr: _pascal(name) for attr, name in asdict(CAMEL).items()})

# Members that are common but not read; knowing them keeps such objects on the fast path.
_UNREAD = ("href", "@baseType", "@schemaLocation", "characteristicRelationship")
_TMF_NAMES = (*asdict(CAMEL).values(), *_UNREAD)
CAMEL_NAMES = frozenset(_TMF_NAMES)  # `CAMEL_NAMES.issuperset(item)`: read `item` as CAMEL
_PASCAL_SET = frozenset(_pascal(n) for n in _TMF_NAMES)
_TMF_BY_LOWER = {n.lower(): n for n in _TMF_NAMES}

# How to re-key each odd layout, computed once per layout (emptied when full: hostile payloads
# could invent layouts without end). None: two keys would collide, re-key item by item.
_CACHE_LIMIT = 4096
_layouts: dict[tuple[Any, ...], tuple[Any, ...] | None] = {}


def _rekeyed(layout: tuple[Any, ...]) -> tuple[Any, ...] | None:
    names = tuple(_TMF_BY_LOWER.get(k.lower(), k) if isinstance(k, str) else k for k in layout)
    return names if len(set(names)) == len(names) else None


def canon(item: dict[Any, Any]) -> dict[Any, Any]:
    """`item` with the members the mapping reads spelled as in TMF (the first spelling wins)."""
    layout = tuple(item)
    names = _layouts.get(layout, _layouts)
    if names is _layouts:
        if len(_layouts) >= _CACHE_LIMIT:
            _layouts.clear()
        names = _layouts[layout] = _rekeyed(layout)
    if names is not None:
        return dict(zip(names, item.values()))  # noqa: B905 (equal lengths by construction)
    out: dict[Any, Any] = {}
    for k, v in item.items():
        c = _TMF_BY_LOWER.get(k.lower(), k) if isinstance(k, str) else k
        if c not in out:
            out[c] = v
    return out


def spelled(item: dict[Any, Any]) -> tuple[dict[Any, Any], Spelling]:
    """The object to read and the spelling to read it with."""
    if CAMEL_NAMES.issuperset(item):  # a little faster than item.keys() <= CAMEL_NAMES
        return item, CAMEL
    if _PASCAL_SET.issuperset(item):
        return item, PASCAL
    return canon(item), CAMEL
