"""Carriers (TMF638 services that are RF carriers): the fields the connector derives (SPEC §4).

Most carrier fields come out of lists: Gateway and Terminal are places picked by role, ElementType,
Type, the aliases and the RF center frequencies are characteristics picked by name (matched without
regard to case, spaces, underscores or hyphens), Satellite and Transponder are supporting resources
picked by referred type, and Bandwidth Segments are the supporting services that are operational.
Whatever a list holds beyond those stays in "Other Fields".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from .fields import Source, text
from .members import spelled
from .structures import characteristic, is_operational, label, place, ref, ref_of

ServiceStatusLookup = Callable[[str], "str | None"]

STATUS_NAMES = {
    "ses": ("status", "operationalstatus", "state", "operatingstatus"),
    "tmf630": ("state", "status", "operationalstatus", "operatingstatus"),
}

UPLINK_RF = "Uplink RF Center Frequency"
DOWNLINK_RF = "Downlink RF Center Frequency"
_TEXT_SLOTS = ("ElementType", "Type", "Uplink Alias", "Downlink Alias")

# Normalised characteristic name → carrier field.
_SLOTS = {
    "elementtype": "ElementType",
    "type": "Type",
    "uplinkalias": "Uplink Alias",
    "downlinkalias": "Downlink Alias",
    "uplinkrfcenterfrequency": UPLINK_RF,
    "uplinkcenterfrequency": UPLINK_RF,
    "rfcenterfrequencyuplink": UPLINK_RF,
    "downlinkrfcenterfrequency": DOWNLINK_RF,
    "downlinkcenterfrequency": DOWNLINK_RF,
    "rfcenterfrequencydownlink": DOWNLINK_RF,
}
# One characteristic whose object value holds both frequencies (reference/tmf.md §12).
_RF_PAIR = frozenset({"rfcenterfrequency", "rfcenterfrequencies", "centerfrequency"})


_normalised: dict[str, str] = {}  # characteristic names repeat from carrier to carrier


def _norm(name: str) -> str:
    norm = _normalised.get(name)
    if norm is None:
        norm = name.lower().replace(" ", "").replace("_", "").replace("-", "")
        if len(_normalised) < 4096:  # hostile payloads could invent names without end
            _normalised[name] = norm
    return norm


def _rf_member_slot(member: Any) -> str | None:
    if not isinstance(member, str):
        return None
    m = _norm(member)
    if m.startswith(("uplink", "ul")):
        return UPLINK_RF
    if m.startswith(("downlink", "dl")):
        return DOWNLINK_RF
    return None


def _slots_of(items: list[Any]) -> tuple[dict[str, Any], list[Any]]:
    """Carrier field → value from the characteristics, and the characteristics not used."""
    found: dict[str, Any] = {}
    rest: list[Any] = []
    pair: tuple[Any, dict[Any, Any]] | None = None
    for item in items:
        named = characteristic(item)
        if named is None:
            rest.append(item)
            continue
        name, value = named
        norm = _norm(name)
        slot = _SLOTS.get(norm)
        if slot is not None and slot not in found:
            if slot in _TEXT_SLOTS:
                as_text = text(value)
                if as_text is None and value is not None:  # an object where text belongs
                    rest.append(item)
                    continue
                value = as_text
            found[slot] = value
        elif pair is None and norm in _RF_PAIR and type(value) is dict:
            pair = (item, value)
        else:
            rest.append(item)
    if pair is not None:
        item, value = pair
        used = 0
        for member, v in value.items():
            slot = _rf_member_slot(member)
            if slot is not None and slot not in found:
                found[slot] = v
                used += 1
        if used != len(value):  # units or other members: keep the whole characteristic
            rest.append(item)
    return found, rest


def _gateway_terminal_of(items: list[Any]) -> tuple[tuple[str | None, str | None], list[Any]]:
    """(Gateway, Terminal) from the places, by role, and the other places."""
    gateway = terminal = None
    rest: list[Any] = []
    for item in items:
        entry = place(item)
        role = entry["role"].lower() if entry is not None and entry["role"] is not None else ""
        if gateway is None and "gateway" in role:
            gateway = label(entry)
        elif terminal is None and "terminal" in role:
            terminal = label(entry)
        else:
            rest.append(item)
    return (gateway, terminal), rest


def _satellites_transponders_of(
    items: list[Any],
) -> tuple[tuple[list[Any], list[Any]], list[Any]]:
    """(Satellite, Transponder) refs by referred type, and the other supporting resources."""
    satellites: list[Any] = []
    transponders: list[Any] = []
    rest: list[Any] = []
    for item in items:
        r = ref(item)
        kind = r["type"].lower() if r is not None and r["type"] is not None else ""
        if "transponder" in kind:
            transponders.append(r)
        elif "satellite" in kind:
            satellites.append(r)
        else:
            rest.append(item)
    return (satellites, transponders), rest


def _bandwidth_segments_of(
    items: list[Any], service_status: ServiceStatusLookup | None
) -> tuple[list[Any], list[Any]]:
    """Supporting services that are operational: by the entry's own status when it carries one,
    else by the status of that service in the Services inventory (unknown: not included)."""
    segments: list[Any] = []
    rest: list[Any] = []
    for item in items:
        if type(item) is not dict:
            rest.append(item)
            continue
        c, n = spelled(item)
        r = ref_of(c, n)
        if r is None:
            rest.append(item)
            continue
        status = text(c.get(n.status))
        if status is None:
            status = text(c.get(n.state))
        if status is None and service_status is not None and r["id"] is not None:
            status = service_status(r["id"])
        if is_operational(status):
            segments.append(r)
    return segments, rest


def carrier_fields(
    src: Source, key: str, dialect: str, service_status: ServiceStatusLookup | None
) -> dict[str, Any]:
    """The carrier's fields, in definition order, without "Other Fields"."""
    name = src.first_text("name")
    status = src.first_text(*STATUS_NAMES[dialect])
    gateway, terminal = src.read(_gateway_terminal_of, "place") or (None, None)
    if gateway is None:
        gateway = src.first_text("gateway")
    if terminal is None:
        terminal = src.first_text("terminal")
    slots = src.read(_slots_of, "servicecharacteristic", "characteristic") or {}
    element_type = slots.get("ElementType")
    if element_type is None:
        element_type = src.first_text("elementtype")
    carrier_type = slots.get("Type")
    if carrier_type is None:
        carrier_type = src.first_text("type")
    uplink_alias = slots.get("Uplink Alias")
    if uplink_alias is None:
        uplink_alias = src.first_text("uplinkalias")
    downlink_alias = slots.get("Downlink Alias")
    if downlink_alias is None:
        downlink_alias = src.first_text("downlinkalias")
    refs = src.read(_satellites_transponders_of, "supportingresource")
    satellites, transponders = refs or ([], [])
    segments_of = partial(_bandwidth_segments_of, service_status=service_status)
    segments = src.read(segments_of, "supportingservice")
    return {
        "ID": key,
        "Name": name,
        "Operational Status": status,
        "ElementType": element_type,
        "Type": carrier_type,
        "Gateway": gateway,
        "Terminal": terminal,
        "Uplink Alias": uplink_alias,
        "Downlink Alias": downlink_alias,
        UPLINK_RF: slots.get(UPLINK_RF),
        DOWNLINK_RF: slots.get(DOWNLINK_RF),
        "Satellite": satellites,
        "Transponder": transponders,
        "Bandwidth Segments": segments or [],
    }
