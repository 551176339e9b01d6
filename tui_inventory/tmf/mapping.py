"""Mapping of upstream entities (both dialects, TMF v4 and v5 shapes) onto the three definitions.

`map_entity` turns one decoded entity into a `Mapped`: its key, the values shown in tables, and
`fields`, every field of the definition by name (JSON values only, dates as the ISO text received)
plus "Other Fields", the top-level fields the mapping did not consume, kept verbatim (a list only
partly used, such as the parties other than the customer, keeps its unused items there). The same
input always gives the same dict in the same order, because the store hashes it to detect changes.
Values of the wrong type never raise: the field maps to nothing and the value stays in Other Fields.

Rules where the SPEC leaves a choice (see also reference/tmf.md §8 and §10):
- Keys: services and carriers `ExternalId` (ses) or `id` (tmf630); resources `Id` (ses) or `id`
  (tmf630); names matched without regard to case; a number becomes its string form; surrounding
  whitespace is dropped and a blank key is no key.
- Status falls back through the names each dialect uses: services `Status` → `state` (tmf630:
  `state` first) → v5 `operatingStatus`; resources `Status` → v4 `resourceStatus` → the v5 X.731
  states in the order `operationalState`, `lifecycleState`, `administrativeState`, `usageState`,
  `availabilityStatus` (v5 has no resourceStatus; operational state is what the connector keeps
  for modems).
- Service type: `Type` (ses) or `serviceType` (tmf630), then `category`, then `@type`.
- A resource's type: its own `type`/`resourceType`, else its specification's name, else `@type`.
- Customer: the related party whose role is "customer"; Site: the place whose role is "Site" or
  "InstallationSite", else the first place; both show the name, else the id.

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .carriers import ServiceStatusLookup, carrier_fields
from .definitions import OTHER_FIELDS, STATUS_FIELD
from .fields import Source, find_ci, key_text
from .structures import (
    OPERATIONAL_STATUSES,
    characteristics,
    is_operational,
    label,
    parties,
    party,
    place,
    places,
    refs,
    relationships,
    specification,
)

__all__ = [
    "EXCLUDED_RESOURCE_TYPES",
    "OPERATIONAL_STATUSES",
    "Mapped",
    "Skip",
    "entity_key",
    "is_modem",
    "is_operational",
    "map_entity",
]

EXCLUDED_RESOURCE_TYPES = frozenset(
    t.lower()
    for t in ("Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit")
)


class Skip(Exception):
    """The entity is not stored: a null or empty key, a filtered type, not an object."""

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


class Mapped(NamedTuple):
    """One mapped entity. A NamedTuple rather than a frozen dataclass: as immutable, and built in
    half the time (a frozen dataclass sets each attribute through object.__setattr__), which counts
    once per entity on the buildup's hot path."""

    key: str
    name: str
    status: str
    type: str
    site: str
    fields: dict[str, Any]


_SERVICE_STATUS = {
    "ses": ("status", "state", "operatingstatus"),
    "tmf630": ("state", "status", "operatingstatus"),
}
_SERVICE_TYPE = {
    "ses": ("type", "servicetype", "category", "@type"),
    "tmf630": ("servicetype", "type", "category", "@type"),
}
_LAST_UPDATE = (
    "lastupdate",
    "lastupdated",
    "lastupdatedate",
    "lastmodified",
    "lastmodifieddate",
    "updatedat",
    "sys_updated_on",
)
_RESOURCE_STATUS = (
    "status",
    "resourcestatus",
    "operationalstate",
    "lifecyclestate",
    "administrativestate",
    "usagestate",
    "availabilitystatus",
)
_SITE_ROLES = frozenset({"site", "installationsite"})


def _key_field(kind: str, dialect: str) -> str:
    lname = _KEY_FIELDS.get((kind, dialect))
    if lname is not None:
        return lname
    if kind not in _MAPPERS:
        raise ValueError(f"unknown inventory {kind!r}")
    if dialect == "tmf630":
        return "id"
    if dialect == "ses":
        return "id" if kind == "resources" else "externalid"
    raise ValueError(f"unknown dialect {dialect!r}")


def entity_key(kind: str, raw: Any, *, dialect: str = "ses") -> str | None:
    """The entity's key alone (for de-duplication before mapping); None when it has none."""
    lname = _key_field(kind, dialect)
    if not isinstance(raw, Mapping):
        return None
    return key_text(find_ci(raw if isinstance(raw, dict) else dict(raw), lname))


def _customer_of(items: list[Any]) -> tuple[str | None, list[Any]]:
    """The customer (the first party whose role is "customer") and the other parties."""
    customer = None
    rest: list[Any] = []
    for item in items:
        if customer is None:
            entry = party(item)
            role = entry["role"] if entry is not None else None
            if role is not None and role.strip().lower() == "customer":
                customer = label(entry)
                continue
        rest.append(item)
    return customer, rest


def _site_of(items: list[Any]) -> tuple[str | None, list[Any]]:
    """The site (the place whose role is a site, else the first place) and the other places."""
    chosen: int | None = None
    chosen_entry = None
    for i, item in enumerate(items):
        entry = place(item)
        if entry is None:
            continue
        role = entry["role"]
        if role is not None and role.strip().lower() in _SITE_ROLES:
            chosen, chosen_entry = i, entry
            break
        if chosen is None:  # the first place, unless a site follows
            chosen, chosen_entry = i, entry
    if chosen is None:
        return None, items
    return label(chosen_entry), items[:chosen] + items[chosen + 1 :]


def _service(
    src: Source, key: str, dialect: str, _lookup: ServiceStatusLookup | None
) -> tuple[dict[str, Any], str | None]:
    name = src.first_text("name")
    description = src.first_text("description")
    status = src.first_text(*_SERVICE_STATUS[dialect])
    service_type = src.first_text(*_SERVICE_TYPE[dialect])
    start = src.first_text("startdate")
    end = src.first_text("enddate")
    last_update = src.first_text(*_LAST_UPDATE)
    customer = src.read(_customer_of, "relatedparty")
    if customer is None:
        customer = src.first_text("customer", "customername")
    site = src.read(_site_of, "place")
    if site is None:
        site = src.first_text("site", "sitename")
    chars = src.read(characteristics, "servicecharacteristic", "characteristic")
    resources = src.read(refs, "supportingresource")
    fields = {
        "ID": key,
        "Name": name,
        "Description": description,
        "Status": status,
        "Type": service_type,
        "Start Date": start,
        "End Date": end,
        "Last Update": last_update,
        "Customer": customer,
        "Site": site,
        "Service Characteristics": chars or {},
        "Supporting Resources": resources or [],
    }
    return fields, site


def _carrier(
    src: Source, key: str, dialect: str, lookup: ServiceStatusLookup | None
) -> tuple[dict[str, Any], str | None]:
    fields = carrier_fields(src, key, dialect, lookup)
    return fields, fields["Gateway"]


def _resource_type(src: Source) -> tuple[str | None, dict[str, Any] | None]:
    """The type rule of SPEC §4 (own type → specification name → @type) and the specification."""
    own = src.first_text("type", "resourcetype")
    spec_key, spec_obj = src.obj("resourcespecification", "specification")
    spec = specification(spec_obj) if spec_obj is not None else None
    if spec is not None:
        src.consume(spec_key)
    if own is not None:
        return own, spec
    if spec is not None and spec["name"] is not None:
        return spec["name"], spec
    return src.first_text("@type"), spec


def _resource(
    src: Source, key: str, dialect: str, _lookup: ServiceStatusLookup | None
) -> tuple[dict[str, Any], str | None]:
    resource_type, spec = _resource_type(src)
    if resource_type is not None and resource_type.strip().lower() in EXCLUDED_RESOURCE_TYPES:
        raise Skip(f"filtered type {resource_type}", key)
    name = src.first_text("name")
    description = src.first_text("description")
    status = src.first_text(*_RESOURCE_STATUS)
    chars = src.read(characteristics, "resourcecharacteristic", "characteristic")
    related = src.read(parties, "relatedparty")
    locations = src.read(places, "place")
    relations = src.read(relationships, "resourcerelationship")
    fields = {
        "ID": key,
        "Name": name,
        "Description": description,
        "Status": status,
        "Type": resource_type,
        "Specification": spec,
        "Resource Characteristics": chars or {},
        "Related Parties": related or [],
        "Locations": locations or [],
        "Resource Relationships": relations or [],
    }
    return fields, label(locations[0]) if locations else None


_Mapper = Callable[
    [Source, str, str, ServiceStatusLookup | None], tuple[dict[str, Any], str | None]
]
_MAPPERS: dict[str, _Mapper] = {"services": _service, "carriers": _carrier, "resources": _resource}
# (kind, dialect) → the key's field name, for the valid pairs; _key_field() explains the others.
_KEY_FIELDS = {
    (kind, dialect): "id" if dialect == "tmf630" or kind == "resources" else "externalid"
    for kind in _MAPPERS
    for dialect in ("ses", "tmf630")
}


def map_entity(
    kind: str,
    raw: Any,
    *,
    dialect: str = "ses",
    service_status: ServiceStatusLookup | None = None,
) -> Mapped:
    """Map one upstream entity of inventory `kind`; raises Skip when it is not to be stored.

    `service_status(id)` gives the status of a service in the Services inventory (None when
    unknown); carriers use it for supporting services that carry no status of their own.
    """
    lname = _KEY_FIELDS.get((kind, dialect)) or _key_field(kind, dialect)
    if not isinstance(raw, dict):
        if not isinstance(raw, Mapping):
            raise Skip("not an object")
        raw = dict(raw)
    src = Source(raw)
    key, present = src.take_key(lname)
    if key is None:
        raise Skip("invalid key" if present else "null or empty key")
    fields, site = _MAPPERS[kind](src, key, dialect, service_status)
    fields[OTHER_FIELDS] = src.rest()
    return Mapped(
        key,
        fields["Name"] or "",
        fields[STATUS_FIELD[kind]] or "",
        fields["Type"] or "",
        site or "",
        fields,
    )


def is_modem(mapped: Mapped) -> bool:
    """Whether a mapped resource is a modem ("Modem", "Satellite Modem", "VSATModem", …)."""
    return mapped.type.strip().lower().endswith("modem")
