"""What an event body says, in the shapes providers really send (SPEC §10).

A `Notice` names the instance (inventory and key) and what happened to it (created, changed,
deleted). Accepted: the TMF v4 and v5 envelopes (`event.service` / `event.resource`, `timeOcurred` /
`timeOccurred`), the entity at the top level (`{"eventType": "ResourceChanged", "id": …,
"resource": {…}}`), event types by their TMF names or the common variants (`ResourceCreated`,
`ResourceChanged` / `…Updated`, `ResourceDeleted`, the reference implementation's
`…Notification` names), the key from the entity or from the event's `id`. Only a body that names
no known event or no key is refused (`BadEvent`, a 400).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tui_inventory.text import plain
from tui_inventory.tmf.fields import key_text
from tui_inventory.tmf.mapping import entity_key

Action = Literal["created", "changed", "deleted"]
Entity = Literal["service", "resource"]

_TYPE = re.compile(
    r"^(?P<entity>service|resource)"
    r"(?P<what>create|created|creation|attributevaluechange|statechange|operatingstatuschange"
    r"|change|changed|update|updated|delete|deleted|remove|removed|removal)"
    r"(?:event|notification)?$"
)
_ACTIONS: dict[str, Action] = {
    "create": "created",
    "created": "created",
    "creation": "created",
    "delete": "deleted",
    "deleted": "deleted",
    "remove": "deleted",
    "removed": "deleted",
    "removal": "deleted",
}


class BadEvent(ValueError):
    """A body the listener refuses (400); the message is safe to log (no upstream text raw)."""


@dataclass(frozen=True)
class Notice:
    """One event as the applier needs it."""

    kind: str  # services | carriers | resources
    key: str
    action: Action
    event_type: str  # as the provider named it (made literal: safe for a log line)
    event_id: str | None = None
    time: str | None = None
    received: float = field(default=0.0, compare=False)  # monotonic arrival, for the latency


def event_kind(name: str) -> tuple[Entity, Action] | None:
    """`ServiceAttributeValueChangeEvent` -> ("service", "changed"); None for an unknown name."""
    match = _TYPE.match(re.sub(r"[^a-z]", "", name.lower()))
    if match is None:
        return None
    entity: Entity = "service" if match["entity"] == "service" else "resource"
    return entity, _ACTIONS.get(match["what"], "changed")


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """A field by name regardless of case (providers mix camelCase and PascalCase)."""
    if name in obj:
        return obj[name]
    lname = name.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == lname:
            return v
    return None


def _entity(body: Mapping[str, Any], preferred: Entity) -> tuple[Entity, Mapping[str, Any] | None]:
    """The entity the event is about: under `event`, or at the top level; the named one first."""
    other: Entity = "resource" if preferred == "service" else "service"
    holders = [h for h in (_get(body, "event"), body) if isinstance(h, Mapping)]
    for name in (preferred, other):
        for holder in holders:
            value = _get(holder, name)
            if isinstance(value, Mapping):
                return name, value
    return preferred, None


def _is_carrier(entity: Mapping[str, Any]) -> bool:
    """Carriers come through TMF638 as services whose type (or ElementType) says Carrier."""
    if str(_get(entity, "@type") or "").lower() == "carrier":
        return True
    for item in _get(entity, "serviceCharacteristic") or ():
        if (
            isinstance(item, Mapping)
            and str(_get(item, "name") or "").lower() == "elementtype"
            and str(_get(item, "value") or "").lower() == "carrier"
        ):
            return True
    return False


def parse_notice(
    body: Any, path_event: str | None, *, dialect: str, received: float = 0.0
) -> Notice:
    """The notice of one event body; raises BadEvent for what names no known event or no key.

    `path_event` is the `{eventName}` of `/listener/{eventName}` (used when the body names none).
    """
    if not isinstance(body, Mapping):
        raise BadEvent("the body is not a JSON object")
    name = _get(body, "eventType")
    if not isinstance(name, str) or not name.strip():
        name = path_event or ""
    known = event_kind(name)
    if known is None:
        shown = plain(name, limit=80) if name else "none"
        raise BadEvent(f"unknown event type ({shown})")
    entity_name, action = known
    entity_name, entity = _entity(body, entity_name)
    kind = "resources" if entity_name == "resource" else "services"
    key: str | None = None
    if entity is not None:
        if kind == "services" and _is_carrier(entity):
            kind = "carriers"
        key = entity_key(kind, entity, dialect=dialect) or key_text(_get(entity, "id"))
    key = key or key_text(_get(body, "id"))
    if not key:
        raise BadEvent(f"the event ({plain(name, limit=80)}) names no instance key")
    event_id = key_text(_get(body, "eventId"))
    when = _get(body, "eventTime") or _get(body, "timeOccurred") or _get(body, "timeOcurred")
    return Notice(
        kind,
        key,
        action,
        plain(name, limit=80),
        event_id,
        when if isinstance(when, str) else None,
        received,
    )
