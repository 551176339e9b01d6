"""The TMF structures shared by the three definitions, in both v4 and v5 shapes (tmf.md §4, §8).

Each reader takes the items of one upstream list and returns what it could map plus the items it
could not use (those stay in "Other Fields"). Characteristics become name → value with values of
any JSON type kept as received; references become {"id", "name", "type"}; parties and places become
{"id", "name", "role"} from either the v4 flat shape or the v5 nested one (`partyOrPartyRole`,
`place`).

These readers run for every member of every nested object of every entity, so they inline the
usual cases of their helpers: `v or None if type(v) is str else text(v)` is `text(v)`,
`v.strip() or None if type(v) is str else key_text(v)` is `key_text(v)`, and
`(item, CAMEL) if CAMEL_NAMES.issuperset(item) else spelled(item)` is `spelled(item)`, each
without a call when the value is the usual text or the object is spelled in camelCase.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .fields import key_text, text
from .members import CAMEL, CAMEL_NAMES, Spelling, spelled

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


# Declared types as received → _NUMERIC_TYPES' verdict: most characteristics declare one, and the
# spellings repeat (bounded: hostile payloads could invent spellings without end).
_declared: dict[str, type | None] = {}


def _numeric_kind(value_type: Any, at_type: Any) -> type | None:
    for t in (value_type, at_type):
        if type(t) is str:
            kind = _declared.get(t, _declared)
            if kind is _declared:
                kind = _NUMERIC_TYPES.get(t.lower())
                if len(_declared) < 4096:
                    _declared[t] = kind
            if kind is not None:
                return kind  # type: ignore[return-value]
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
    c, n = (item, CAMEL) if CAMEL_NAMES.issuperset(item) else spelled(item)
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
        # Fast path, the bulk of real lists: a camelCase item with a new text name and a value
        # that needs no coercion. Anything else is read by characteristic().
        if type(item) is dict and CAMEL_NAMES.issuperset(item):
            name, value = item.get("name"), item.get("value")
            if (
                type(name) is str
                and name
                and name not in out
                and (type(value) is not str or ("valueType" not in item and "@type" not in item))
            ):
                out[name] = value
                continue
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
    ref_id = c.get(n.id)
    ref_id = ref_id.strip() or None if type(ref_id) is str else key_text(ref_id)
    name = c.get(n.name)
    name = name or None if type(name) is str else text(name)
    if ref_id is None and name is None:
        return None
    t = c.get(n.referred_type)  # ref_type()'s first choice, and the usual one
    return {"id": ref_id, "name": name, "type": t if type(t) is str and t else ref_type(c, n)}


def ref(item: Any) -> dict[str, Any] | None:
    """ref_of() any item; None for what is not an object."""
    if type(item) is not dict:
        return None
    if CAMEL_NAMES.issuperset(item):
        return ref_of(item, CAMEL)
    return ref_of(*spelled(item))


def _id_name(c: dict[Any, Any], n: Spelling) -> tuple[str | None, str | None]:
    """The id (`key_text`) and name (`text`) of an object, the usual plain strings inline."""
    obj_id = c.get(n.id)
    obj_id = obj_id.strip() or None if type(obj_id) is str else key_text(obj_id)
    name = c.get(n.name)
    return obj_id, name or None if type(name) is str else text(name)


def _role_entry(item: Any, party_shape: bool) -> dict[str, Any] | None:
    """{"id", "name", "role"} of a v4 flat item or a v5 nested one ({role, <inner>: {...}})."""
    if type(item) is not dict:
        return None
    c, n = (item, CAMEL) if CAMEL_NAMES.issuperset(item) else spelled(item)
    if party_shape:
        inner = c.get(n.party_or_party_role)
        if type(inner) is not dict:
            inner = c.get(n.party)  # the name in pre-release v5 servers
    else:
        inner = c.get(n.place)
    if type(inner) is not dict:
        ic, inn = c, n
    else:
        ic, inn = (inner, CAMEL) if CAMEL_NAMES.issuperset(inner) else spelled(inner)
    entry_id, name = _id_name(ic, inn)
    if entry_id is None and name is None and ic is not c:
        entry_id, name = key_text(c.get(n.id)), text(c.get(n.name))
    if entry_id is None and name is None:
        return None
    role = c.get(n.role)
    role = role or None if type(role) is str else text(role)
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
ListReader = Callable[[list[Any]], tuple[list[Entry], list[Any]]]


def entries(reader: Callable[[Any], Entry | None]) -> ListReader:
    """The list reader that maps every item `reader` can map and gives back the others."""

    def read(items: list[Any]) -> tuple[list[Entry], list[Any]]:
        out: list[Entry] = []
        rest: list[Any] = []
        for item in items:
            e = reader(item)
            if e is None:
                rest.append(item)
            else:
                out.append(e)
        return out, rest

    return read


refs = entries(ref)
parties = entries(party)
places = entries(place)


def label(entry: dict[str, Any] | None) -> str | None:
    """The short text of a party or place: its name, else its id."""
    if entry is None:
        return None
    name: str | None = entry["name"]
    return name if name is not None else entry["id"]


def specification(value: dict[Any, Any]) -> dict[str, Any] | None:
    """{"id", "name", "version"} of a specification ref, or None when it has none of them."""
    c, n = (value, CAMEL) if CAMEL_NAMES.issuperset(value) else spelled(value)
    spec_id, name, version = c.get(n.id), c.get(n.name), c.get(n.version)
    spec = {
        "id": spec_id.strip() or None if type(spec_id) is str else key_text(spec_id),
        "name": name or None if type(name) is str else text(name),
        "version": version or None if type(version) is str else text(version),
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
    c, n = (item, CAMEL) if CAMEL_NAMES.issuperset(item) else spelled(item)
    target = c.get(n.resource)
    nested = type(target) is dict
    if type(target) is not dict:
        t, tn = c, n
    else:
        t, tn = (target, CAMEL) if CAMEL_NAMES.issuperset(target) else spelled(target)
    target_id, name = _id_name(t, tn)
    if target_id is None and name is None:
        return None
    kind = c.get(n.relationship_type)
    target_type = t.get(tn.referred_type)  # ref_type()'s first choice, and the usual one
    out: dict[str, Any] = {
        "relationship": kind or None if type(kind) is str else text(kind),
        "id": target_id,
        "name": name,
        "type": target_type
        if type(target_type) is str and target_type
        else ref_type(t, tn, use_at_type=nested),
    }
    chars = c.get(n.relationship_characteristic)
    if chars is None:
        return out
    if type(chars) is dict:
        chars = [chars]
    if type(chars) is list and chars:
        mapped, _ = characteristics(chars)
        if mapped:
            out["characteristics"] = mapped
    return out


relationships = entries(relationship)
