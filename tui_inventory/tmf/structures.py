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

from .fields import canon, key_text, text

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
    c = canon(item)
    name = c.get("name")
    if type(name) is not str:
        name = text(name)
    if not name:
        return None
    value = c.get("value")
    if type(value) is str:
        value_type, at_type = c.get("valueType"), c.get("@type")
        if value_type is not None or at_type is not None:
            value = coerce(value, value_type, at_type)
    return name, value


def add_unique(out: dict[str, Any], name: str, value: Any) -> None:
    """Store `value` under `name`; a repeated name goes under "name (2)", "name (3)", …"""
    if name in out:
        n = 2
        while f"{name} ({n})" in out:
            n += 1
        name = f"{name} ({n})"
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


def ref_type(c: dict[Any, Any], *, use_at_type: bool = True) -> str | None:
    """The class of a reference's target: @referredType, else a plain type, else @type.

    A bare "ResourceRef"-style @type names the reference class, not the target, so it is ignored.
    """
    for name in ("@referredType", "type", "resourceType"):
        t = c.get(name)
        if t is not None:
            t = text(t)
            if t is not None:
                return t
    if use_at_type:
        t = text(c.get("@type"))
        if t is not None and not t.endswith("Ref"):
            return t
    return None


def ref(item: Any) -> dict[str, Any] | None:
    """{"id", "name", "type"} of a reference (Ref or RefOrValue), or None without id and name."""
    if type(item) is not dict:
        return None
    return ref_of(canon(item))


def ref_of(c: dict[Any, Any]) -> dict[str, Any] | None:
    """ref() of an item already through canon()."""
    ref_id = key_text(c.get("id"))
    name = text(c.get("name"))
    if ref_id is None and name is None:
        return None
    return {"id": ref_id, "name": name, "type": ref_type(c)}


def _role_entry(item: Any, inner_names: tuple[str, ...]) -> dict[str, Any] | None:
    """{"id", "name", "role"} of a v4 flat item or a v5 nested one ({role, <inner>: {...}})."""
    if type(item) is not dict:
        return None
    c = canon(item)
    ic = c
    for inner_name in inner_names:
        inner = c.get(inner_name)
        if type(inner) is dict:
            ic = canon(inner)
            break
    entry_id = key_text(ic.get("id"))
    name = text(ic.get("name"))
    if entry_id is None and name is None and ic is not c:
        entry_id, name = key_text(c.get("id")), text(c.get("name"))
    if entry_id is None and name is None:
        return None
    role = text(c.get("role"))
    if role is None and ic is not c:
        role = text(ic.get("role"))
    return {"id": entry_id, "name": name, "role": role}


_PARTY_INNER = ("partyOrPartyRole", "party")  # "party" appears in pre-release v5 servers
_PLACE_INNER = ("place",)


def party(item: Any) -> dict[str, Any] | None:
    """A related party, v4 flat or v5 `{role, partyOrPartyRole: {...}}`."""
    return _role_entry(item, _PARTY_INNER)


def place(item: Any) -> dict[str, Any] | None:
    """A related place, v4 flat or v5 `{role, place: {...}}`."""
    return _role_entry(item, _PLACE_INNER)


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
    c = canon(value)
    spec = {
        "id": key_text(c.get("id")),
        "name": text(c.get("name")),
        "version": text(c.get("version")),
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
    c = canon(item)
    target = c.get("resource")
    nested = isinstance(target, dict)
    t = canon(target) if isinstance(target, dict) else c
    target_id = key_text(t.get("id"))
    name = text(t.get("name"))
    if target_id is None and name is None:
        return None
    out: dict[str, Any] = {
        "relationship": text(c.get("relationshipType")),
        "id": target_id,
        "name": name,
        "type": ref_type(t, use_at_type=nested),
    }
    chars = c.get("resourceRelationshipCharacteristic")
    if type(chars) is dict:
        chars = [chars]
    if type(chars) is list and chars:
        mapped, _ = characteristics(chars)
        if mapped:
            out["characteristics"] = mapped
    return out
