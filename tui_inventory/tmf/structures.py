"""The TMF structures shared by the three definitions, in both v4 and v5 shapes (tmf.md §4, §8).

Each reader takes the items of one upstream list and returns what it could map plus the items it
could not use (those stay in "Other Fields"). Characteristics become name → value with values of
any JSON type kept as received; references become {"id", "name", "type"}; parties and places become
{"id", "name", "role"} from either the v4 flat shape or the v5 nested one (`partyOrPartyRole`,
`place`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .fields import key_text, text
from .members import Spelling, spelled

# The statuses that mean "in service": "Operational" (ses) and "active" (tmf630 ServiceStateType).
OPERATIONAL_STATUSES = frozenset({"operational", "active"})


def is_operational(status: str | None) -> bool:
    """Whether a service or carrier status means in service, compared without regard to case."""
    return type(status) is str and status.strip().lower() in OPERATIONAL_STATUSES


# valueType / @type spellings that announce a number (v4 free text, v5 typed characteristics).
_NUMERIC_TYPES = {
    "number": float,
    "float": float,
    "double": float,
    "decimal": float,
    "integer": int,
    "int": int,
    "long": int,
    "numbercharacteristic": float,
    "floatcharacteristic": float,
    "integercharacteristic": int,
}


def _numeric_kind(value_type: Any, at_type: Any) -> type | None:
    for t in (value_type, at_type):
        if type(t) is str:
            kind = _NUMERIC_TYPES.get(t.lower())
            if kind is not None:
                return kind
    return None


def _is_integer_text(value: str) -> bool:
    digits = value[1:] if value[:1] in ("-", "+") else value
    return digits.isascii() and digits.isdigit()


def coerce(value: str, value_type: Any, at_type: Any) -> Any:
    """A string characteristic value as a number when its declared type says so and it parses."""
    kind = _numeric_kind(value_type, at_type)
    if kind is None:
        return value
    text = value.strip()
    if _is_integer_text(text):
        return int(text)
    if kind is int or "_" in text:  # float("1_0") parses; an upstream "1_0" is not a number
        return value
    try:
        number = float(text)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def characteristic(item: Any) -> tuple[str, Any] | None:
    """(name, value) of one characteristic, or None when it has no usable name."""
    if type(item) is not dict:
        return None
    c, n = spelled(item)
    name = c.get(n.name)
    if type(name) is not str:
        name = text(name)
    if not name:
        return None
    value = c.get(n.value)
    if type(value) is str:
        value_type, at_type = c.get(n.value_type), c.get(n.at_type)
        if value_type is not None or at_type is not None:
            value = coerce(value, value_type, at_type)
    return name, value


def add_unique(out: dict[str, Any], name: str, value: Any) -> None:
    """Store `value` under `name`; a repeated name goes under "name (2)", "name (3)", …"""
    if name in out:
        i = 2
        while f"{name} ({i})" in out:
            i += 1
        name = f"{name} ({i})"
    out[name] = value


def characteristics(items: list[Any]) -> tuple[dict[str, Any], list[Any]]:
    """Every characteristic as name → value, and the items without a usable name."""
    out: dict[str, Any] = {}
    rest: list[Any] = []
    for item in items:
        pair = characteristic(item)
        if pair is None:
            rest.append(item)
        else:
            add_unique(out, pair[0], pair[1])
    return out, rest


def ref_type(c: dict[Any, Any], n: Spelling, *, use_at_type: bool = True) -> str | None:
    """The class of a reference's target: @referredType, else a plain type, else @type.

    A bare "ResourceRef"-style @type names the reference class, not the target, so it is ignored.
    """
    for name in (n.referred_type, n.type, n.resource_type):
        t = c.get(name)
        if t is not None:
            t = text(t)
            if t is not None:
                return t
    if use_at_type:
        t = text(c.get(n.at_type))
        if t is not None and not t.endswith("Ref"):
            return t
    return None


def ref_of(c: dict[Any, Any], n: Spelling) -> dict[str, Any] | None:
    """{"id", "name", "type"} of a reference (Ref or RefOrValue), or None without id and name."""
    ref_id = key_text(c.get(n.id))
    name = text(c.get(n.name))
    if ref_id is None and name is None:
        return None
    return {"id": ref_id, "name": name, "type": ref_type(c, n)}


def ref(item: Any) -> dict[str, Any] | None:
    """ref_of() any item; None for what is not an object."""
    if type(item) is not dict:
        return None
    c, n = spelled(item)
    return ref_of(c, n)


def _role_entry(item: Any, party_shape: bool) -> dict[str, Any] | None:
    """{"id", "name", "role"} of a v4 flat item or a v5 nested one ({role, <inner>: {...}})."""
    if type(item) is not dict:
        return None
    c, n = spelled(item)
    if party_shape:
        inner = c.get(n.party_or_party_role)
        if type(inner) is not dict:
            inner = c.get(n.party)  # the name in pre-release v5 servers
    else:
        inner = c.get(n.place)
    ic, inn = spelled(inner) if type(inner) is dict else (c, n)
    entry_id = key_text(ic.get(inn.id))
    name = text(ic.get(inn.name))
    if entry_id is None and name is None and ic is not c:
        entry_id, name = key_text(c.get(n.id)), text(c.get(n.name))
    if entry_id is None and name is None:
        return None
    role = text(c.get(n.role))
    if role is None and ic is not c:
        role = text(ic.get(inn.role))
    return {"id": entry_id, "name": name, "role": role}


def party(item: Any) -> dict[str, Any] | None:
    """A related party, v4 flat or v5 `{role, partyOrPartyRole: {...}}`."""
    return _role_entry(item, True)


def place(item: Any) -> dict[str, Any] | None:
    """A related place, v4 flat or v5 `{role, place: {...}}`."""
    return _role_entry(item, False)


Entry = dict[str, Any]


def entries(
    items: list[Any], reader: Callable[[Any], Entry | None]
) -> tuple[list[Entry], list[Any]]:
    """Every item `reader` can map, and the items it cannot."""
    out: list[Entry] = []
    rest: list[Any] = []
    for item in items:
        e = reader(item)
        if e is None:
            rest.append(item)
        else:
            out.append(e)
    return out, rest


def label(entry: dict[str, Any] | None) -> str | None:
    """The short text of a party or place: its name, else its id."""
    if entry is None:
        return None
    name: str | None = entry["name"]
    return name if name is not None else entry["id"]


def specification(value: dict[Any, Any]) -> dict[str, Any] | None:
    """{"id", "name", "version"} of a specification ref, or None when it has none of them."""
    c, n = spelled(value)
    spec = {
        "id": key_text(c.get(n.id)),
        "name": text(c.get(n.name)),
        "version": text(c.get(n.version)),
    }
    if spec["id"] is None and spec["name"] is None and spec["version"] is None:
        return None
    return spec


def relationship(item: Any) -> dict[str, Any] | None:
    """{"relationship", "id", "name", "type"} of a resource relationship.

    v4 and v5 nest the target under `resource`; a flat item (target fields beside relationshipType)
    is accepted too. v5 relationship characteristics, when present, are added as "characteristics".
    """
    if type(item) is not dict:
        return None
    c, n = spelled(item)
    target = c.get(n.resource)
    nested = type(target) is dict
    t, tn = spelled(target) if type(target) is dict else (c, n)
    target_id = key_text(t.get(tn.id))
    name = text(t.get(tn.name))
    if target_id is None and name is None:
        return None
    out: dict[str, Any] = {
        "relationship": text(c.get(n.relationship_type)),
        "id": target_id,
        "name": name,
        "type": ref_type(t, tn, use_at_type=nested),
    }
    chars = c.get(n.relationship_characteristic)
    if type(chars) is dict:
        chars = [chars]
    if type(chars) is list and chars:
        mapped, _ = characteristics(chars)
        if mapped:
            out["characteristics"] = mapped
    return out
