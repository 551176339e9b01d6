"""Mapping of upstream entities (both dialects, TMF v4 and v5 shapes) onto the three definitions.

PLACEHOLDER: a minimal version so the engine can be built; replaced by the full mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

EXCLUDED_RESOURCE_TYPES = frozenset(
    t.lower() for t in ("Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit")
)


class Skip(Exception):
    """The entity is not stored: a null or empty key, a filtered type, not an object."""

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


@dataclass(frozen=True)
class Mapped:
    key: str
    name: str
    status: str
    type: str
    site: str
    fields: dict[str, Any]


ServiceStatusLookup = Callable[[str], "str | None"]


def _ci(raw: Mapping[str, Any], *names: str) -> Any:
    lower = {k.lower(): v for k, v in raw.items()}
    for n in names:
        v = lower.get(n.lower())
        if v not in (None, ""):
            return v
    return None


def map_entity(
    kind: str,
    raw: Any,
    *,
    dialect: str = "ses",
    service_status: ServiceStatusLookup | None = None,
) -> Mapped:
    if not isinstance(raw, Mapping):
        raise Skip("not an object")
    key_names = ("Id",) if kind == "resources" else ("ExternalId",)
    if dialect == "tmf630":
        key_names = ("id",)
    key = _ci(raw, *key_names)
    if key is None or str(key).strip() == "":
        raise Skip("null or empty key")
    key = str(key)
    name = str(_ci(raw, "name") or "")
    status = str(_ci(raw, "status", "state", "resourceStatus") or "")
    typ = str(_ci(raw, "type", "resourceType", "@type") or "")
    if kind == "resources" and typ.lower() in EXCLUDED_RESOURCE_TYPES:
        raise Skip(f"filtered type {typ}", key)
    fields = {"ID": key, "Name": name, "Status": status, "Type": typ}
    if kind == "carriers":
        fields = {"ID": key, "Name": name, "Operational Status": status, "Type": typ}
    return Mapped(key=key, name=name, status=status, type=typ, site="", fields=fields)


def is_modem(mapped: Mapped) -> bool:
    return mapped.type.lower() == "modem"


OPERATIONAL_STATUSES = frozenset({"operational", "active"})


def is_operational(status: str | None) -> bool:
    return (status or "").strip().lower() in OPERATIONAL_STATUSES


def entity_key(kind: str, raw: Any, *, dialect: str = "ses") -> str | None:
    try:
        return map_entity(kind, raw, dialect=dialect).key
    except Skip as exc:
        return exc.key
