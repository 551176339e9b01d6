"""Shapes: the canonical (ses gateway) entity as the standard TMF v4 and v5 APIs would show it.

`id` becomes the business key (the ses `ExternalId` / `Id`), statuses become TMF states, references
become v4 flat refs or v5 `{role, partyOrPartyRole|place: {...}}` wrappers with `@type` on every
object, and v5 characteristics are typed. Fields the mapping does not know pass through unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from tui_inventory.simulator.entities import Entity
from tui_inventory.simulator.generate import ci_get

_SERVICE_KNOWN = frozenset(
    f.lower()
    for f in (
        "ExternalId", "id", "Name", "Description", "Status", "Type", "StartDate", "EndDate",
        "LastUpdate", "relatedParty", "place", "serviceCharacteristic", "supportingResource",
        "supportingService", "category", "@type",
    )
)  # fmt: skip
_RESOURCE_KNOWN = frozenset(
    f.lower()
    for f in (
        "Id", "Name", "Description", "Status", "Type", "resourceType", "@type", "resourceSpecification",
        "resourceCharacteristic", "relatedParty", "place", "resourceRelationship",
    )
)  # fmt: skip
_RESOURCE_STATUS_V4 = {
    "operational": "available",
    "non-operational": "alarm",
    "maintenance": "suspended",
    "pending": "reserved",
}
_NUMERIC_TYPES = ("number", "float", "double", "decimal")


def encode(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(kind: str, entity: Entity, version: int | None) -> Entity:
    """The entity as served: `version` None is the ses shape (as is), 4 or 5 the TMF shapes."""
    if version is None:
        return entity
    if kind == "resources":
        return _resource(entity, version)
    return _service(entity, kind, version)


def service_state(status: Any) -> str:
    text = str(status or "").lower()
    if text in ("operational", "active"):
        return "active"
    return "terminated" if text in ("retired", "terminated") else "inactive"


def _passthrough(entity: Entity, out: Entity, known: frozenset[str]) -> Entity:
    for name, value in entity.items():
        if name.lower() not in known and name not in out:
            out[name] = value
    return out


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ref(item: dict[str, Any], v5_type: str | None, *extra: str) -> dict[str, Any]:
    out = {f: item[f] for f in ("id", "href", "name", "@referredType", *extra) if f in item}
    if v5_type:
        out["@type"] = v5_type
    return out


def _parties(value: Any, version: int) -> list[dict[str, Any]]:
    out = []
    for party in _list(value):
        ref = _ref(party, None)
        ref.setdefault("@referredType", "Organization")
        if version == 4:
            out.append({**ref, "role": party.get("role")})
        else:
            ref["@type"] = "PartyRef"
            out.append(
                {
                    "role": party.get("role"),
                    "@type": "RelatedPartyRefOrPartyRoleRef",
                    "partyOrPartyRole": ref,
                }
            )
    return out


def _places(value: Any, version: int, wrapper: str) -> list[dict[str, Any]]:
    out = []
    for place in _list(value):
        ref = _ref(place, None)
        ref.setdefault("@referredType", "GeographicSite")
        if version == 4:
            out.append({**ref, "role": place.get("role")})
        else:
            ref["@type"] = "PlaceRef"
            out.append({"role": place.get("role"), "@type": wrapper, "place": ref})
    return out


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


_V5_TYPES = {
    "boolean": "BooleanCharacteristic",
    "integer": "IntegerCharacteristic",
    "number": "NumberCharacteristic",
    "object": "ObjectCharacteristic",
    "string": "StringCharacteristic",
}


def _v5_characteristic(declared: str, value: Any) -> tuple[str, Any]:
    if declared in _NUMERIC_TYPES and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return "StringCharacteristic", value
    if value is None:
        return "Characteristic", None
    actual = (
        "number"
        if declared in _NUMERIC_TYPES and _value_type(value) == "integer"
        else _value_type(value)
    )
    if actual != "array":
        return _V5_TYPES[actual], value
    kinds = {_value_type(v) for v in value}
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    element = kinds.pop() if len(kinds) == 1 else "string" if not kinds else None
    if element is None or element == "array":
        return "Characteristic", value
    return _V5_TYPES[element].replace("Characteristic", "ArrayCharacteristic"), value


def _characteristics(value: Any, version: int) -> list[dict[str, Any]]:
    out = []
    for item in _list(value):
        raw = item.get("value")
        declared = str(item.get("valueType") or "").lower()
        entry: dict[str, Any] = {"name": item.get("name")}
        if version == 4:
            entry["valueType"] = item.get("valueType") or _value_type(raw)
            entry["value"] = raw
        else:
            at_type, converted = _v5_characteristic(declared, raw)
            entry.update(
                {
                    "valueType": declared or _value_type(converted),
                    "value": converted,
                    "@type": at_type,
                }
            )
        out.append(entry)
    return out


def _service(entity: Entity, kind: str, version: int) -> Entity:
    key = ci_get(entity, "ExternalId")
    status = ci_get(entity, "Status")
    service_type = ci_get(entity, "Type")
    collection = "service" if kind == "services" else "carrier"
    facing = "CustomerFacingService" if service_type == "CFS" else "ResourceFacingService"
    out: Entity = {
        "id": key,
        "href": f"/tmf630/v{version}/tmf638/{collection}/{key}" if key else None,
        "@type": ci_get(entity, "@type") or facing,
        "name": ci_get(entity, "Name"),
        "category": ci_get(entity, "category") or ("CFS" if service_type == "CFS" else "RFS"),
        "state": service_state(status),
    }
    if ci_get(entity, "Description") is not None:
        out["description"] = ci_get(entity, "Description")
    if service_type:
        out["serviceType"] = service_type
    if version == 5:
        out["operatingStatus"] = "running" if out["state"] == "active" else "stopped"
        sys_id = ci_get(entity, "id")
        if sys_id:
            out["externalIdentifier"] = [
                {
                    "@type": "ExternalIdentifier",
                    "owner": "ServiceNow",
                    "externalIdentifierType": "sys_id",
                    "id": sys_id,
                }
            ]
    for target, source in (
        ("startDate", "StartDate"),
        ("endDate", "EndDate"),
        ("lastUpdate", "LastUpdate"),
    ):
        value = ci_get(entity, source)
        if value is not None:
            out[target] = value
    out["relatedParty"] = _parties(ci_get(entity, "relatedParty"), version)
    out["place"] = _places(ci_get(entity, "place"), version, "RelatedPlaceRefOrValue")
    out["serviceCharacteristic"] = _characteristics(
        ci_get(entity, "serviceCharacteristic"), version
    )
    out["supportingResource"] = [
        _ref(r, "ResourceRef" if version == 5 else None)
        for r in _list(ci_get(entity, "supportingResource"))
    ]
    supporting = []
    for item in _list(ci_get(entity, "supportingService")):
        has_state = ci_get(item, "status") is not None
        ref = _ref(item, ("Service" if has_state else "ServiceRef") if version == 5 else None)
        if has_state:
            ref["state"] = service_state(ci_get(item, "status"))
        supporting.append(ref)
    if supporting or ci_get(entity, "supportingService") is not None:
        out["supportingService"] = supporting
    return _passthrough(entity, out, _SERVICE_KNOWN)


def _resource(entity: Entity, version: int) -> Entity:
    key = ci_get(entity, "Id")
    status = str(ci_get(entity, "Status") or "")
    operational = status.lower() == "operational"
    out: Entity = {
        "id": key,
        "href": f"/tmf630/v{version}/tmf639/resource/{key}" if key else None,
        "@type": ci_get(entity, "@type") or "PhysicalResource",
        "@baseType": "Resource",
        "name": ci_get(entity, "Name"),
        "description": ci_get(entity, "Description"),
    }
    own_type = next(
        (
            v
            for f in ("type", "resourceType")
            if isinstance(v := ci_get(entity, f), str) and v.strip()
        ),
        None,
    )
    if own_type:
        out["resourceType"] = own_type
    if version == 4:
        out["resourceStatus"] = _RESOURCE_STATUS_V4.get(status.lower(), "unknown")
        out["operationalState"] = "enable" if operational else "disable"
    else:
        lifecycle = {"pending": "planned", "retired": "pendingRemoval"}
        out["lifecycleState"] = lifecycle.get(status.lower(), "installed")
        out["operationalState"] = "enabled" if operational else "disabled"
    out["administrativeState"] = "locked" if status.lower() == "maintenance" else "unlocked"
    out["usageState"] = "active" if operational else "idle"
    spec = ci_get(entity, "resourceSpecification")
    if isinstance(spec, dict):
        out["resourceSpecification"] = {
            **{f: spec[f] for f in ("id", "href", "name", "version") if f in spec},
            "@referredType": "ResourceSpecification",
            **({"@type": "ResourceSpecificationRef"} if version == 5 else {}),
        }
    out["resourceCharacteristic"] = _characteristics(
        ci_get(entity, "resourceCharacteristic"), version
    )
    out["relatedParty"] = _parties(ci_get(entity, "relatedParty"), version)
    places = _places(ci_get(entity, "place"), version, "RelatedPlaceRef")
    if version == 5:
        out["place"] = places
    elif places:
        out["place"] = places[0]  # v4: one RelatedPlaceRefOrValue, not an array
    relations = []
    for rel in _list(ci_get(entity, "resourceRelationship")):
        resource = rel.get("resource")
        target: dict[str, Any] = resource if isinstance(resource, dict) else {}
        item: dict[str, Any] = {
            "relationshipType": rel.get("relationshipType"),
            "resource": _ref(target, "ResourceRef" if version == 5 else None),
        }
        if version == 5:
            item["@type"] = "ResourceRelationship"
        relations.append(item)
    out["resourceRelationship"] = relations
    return _passthrough(entity, out, _RESOURCE_KNOWN)
