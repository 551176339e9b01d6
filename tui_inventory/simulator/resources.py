"""Builders of resources in the canonical (ses gateway) shape: infrastructure, modems, antennas,
terminals, and the resource types the product filters out (named in each of the ways it must read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui_inventory.simulator import names
from tui_inventory.simulator.entities import (
    RESOURCE_STATUSES,
    SES_PARTY,
    Entity,
    casing,
    frequency,
    status,
)
from tui_inventory.simulator.names import GATEWAYS, SATELLITES, SEGMENTS, Rng
from tui_inventory.simulator.world import Infra, World


def _resource(
    k: Callable[[str], str], key: str, name: str, description: str, state: str, at_type: str
) -> Entity:
    return {
        k("Id"): key,
        k("Name"): name,
        k("Description"): description,
        k("Status"): state,
        "@type": at_type,
    }


def _spec(spec_id: str, name: str, version: str = "1.0") -> dict[str, Any]:
    return {"id": spec_id, "name": name, "version": version}


def _number(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "valueType": "number", "value": value}


def infrastructure(world: World, inf: Infra) -> Entity:
    """A satellite, gateway (teleport) or transponder of the operator's fleet."""
    rng = Rng(world.seed, 3, world.index_of("resources", inf.key) or 0)
    k = casing(rng)
    if inf.role == "gateway":
        return _gateway(world, inf, rng, k)
    sat = SATELLITES[inf.sat]
    if inf.role == "satellite":
        text = f"{sat.band}-band satellite at {sat.orbit}"
        entity = _resource(k, sat.key, sat.name, text, "Operational", "PhysicalResource")
        characteristics = [
            {"name": "OrbitalPosition", "value": sat.orbit},
            {"name": "Band", "value": sat.band},
            _number("TransponderCount", names.TRANSPONDERS_PER_SATELLITE),
        ]
        return _complete(
            entity, k, "Satellite", _spec("RS-SATELLITE", "Satellite"), characteristics
        )
    tp_name = names.transponder_name(sat, inf.number)
    uplink, downlink = names.BAND_FREQUENCIES[sat.band]
    bandwidth = 250 if sat.band == "Ka" else rng.choice((36, 54, 72))
    name, text = f"{sat.name} {tp_name}", f"{sat.band}-band transponder"
    entity = _resource(k, inf.key, name, text, "Operational", "LogicalResource")
    characteristics = [
        _number("BandwidthMHz", bandwidth),
        {"name": "Band", "value": sat.band},
        {"name": "Polarization", "value": rng.choice(("RHCP", "LHCP", "H", "V"))},
        _number("UplinkCenterMHz", frequency(rng, uplink)),
        _number("DownlinkCenterMHz", frequency(rng, downlink)),
    ]
    satellite = next(iter(world.infra_ref(sat.key, sat.name, "Satellite")), None)
    relations = _relations(("isContainedIn", satellite))
    spec = _spec("RS-TRANSPONDER", "Transponder")
    return _complete(entity, k, "Transponder", spec, characteristics, relations=relations)


def _gateway(world: World, inf: Infra, rng: Rng, k: Callable[[str], str]) -> Entity:
    key, name, country = GATEWAYS[inf.sat]
    text = f"Teleport {name} ({country})"
    entity = _resource(k, key, name, text, "Operational", "PhysicalResource")
    served = [s.name for n, s in enumerate(SATELLITES) if n % len(GATEWAYS) == inf.sat]
    characteristics = [
        {"name": "Country", "value": country},
        _number("AntennaCount", 4 + rng.below(12)),
        {"name": "ServedSatellites", "valueType": "array", "value": served},
    ]
    places = [{"id": key, "name": name, "role": "Teleport"}]
    spec = _spec("RS-GATEWAY", "Gateway")
    return _complete(entity, k, "Gateway", spec, characteristics, places=places)


def _complete(
    entity: Entity,
    k: Callable[[str], str],
    type_name: str,
    spec: dict[str, Any],
    characteristics: list[dict[str, Any]],
    *,
    places: list[dict[str, Any]] | None = None,
    relations: list[dict[str, Any]] | None = None,
) -> Entity:
    entity[k("Type")] = type_name
    entity["resourceSpecification"] = spec
    entity["resourceCharacteristic"] = characteristics
    entity["relatedParty"] = [SES_PARTY]
    entity["place"] = places or []
    entity["resourceRelationship"] = relations or []
    return entity


def _relations(*pairs: tuple[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    return [{"relationshipType": kind, "resource": ref} for kind, ref in pairs if ref is not None]


def modem(world: World, i: int, m: int) -> Entity:
    rng = Rng(world.seed, 3, i)
    state = status(rng, 0.04, RESOURCE_STATUSES)
    k = casing(rng)
    site = world.site(m)
    model = rng.choice(names.MODEM_TYPES)
    label = SEGMENTS[site.segment].modem_label
    entity = _resource(
        k,
        world.key("resources", i),
        f"{label} {site.name}",
        f"{model} at {site.name}",
        state,
        "PhysicalResource",
    )
    variant = rng.below(20)
    if variant == 0:
        entity["type"] = "modem"
    elif variant == 1:
        entity["resourceType"] = "Modem"
    elif variant > 2:  # variant 2: no type of its own, the specification names it
        entity[k("Type")] = "Modem"
    block = m // 7
    entity.update(
        {
            "resourceSpecification": _spec(f"RS-MODEM-{model.split()[0].upper()}", "Modem"),
            "resourceCharacteristic": [
                {"name": "ModemType", "value": model},
                {
                    "name": "ManagementIP",
                    "value": f"10.{40 + (m >> 16) % 200}.{(m >> 8) & 255}.{m & 255}",
                },
                {
                    "name": "SerialNumber",
                    "value": f"{model.split()[0][:3].upper()}-{rng.below(10**8):08d}",
                },
                {
                    "name": "RxLockLevel_dB",
                    "valueType": "float",
                    "value": f"{rng.uniform(6.0, 16.0):.1f}",
                },
            ],
            "relatedParty": [{"id": site.customer_id, "name": site.customer_name, "role": "owner"}],
            "place": [{"id": f"SITE-{m:06d}", "name": site.name, "role": "InstallationSite"}],
            "resourceRelationship": _relations(
                ("isContainedIn", world.terminal_ref(block) if m % 7 == 0 else None),
                ("isServedBy", world.gateway_ref(site.gateway)),
            ),
        }
    )
    return entity


def antenna(world: World, i: int, block: int) -> Entity:
    rng = Rng(world.seed, 3, i)
    k = casing(rng)
    site = world.site(7 * block)
    model = rng.choice(names.ANTENNA_TYPES)
    entity = _resource(
        k,
        world.key("resources", i),
        f"{site.name} antenna",
        f"{model} at {site.name}",
        status(rng, 0.03, RESOURCE_STATUSES),
        "PhysicalResource",
    )
    entity.update(
        {
            k("Type"): "Antenna",
            "resourceSpecification": _spec("RS-ANTENNA", "Antenna", "2.0"),
            "resourceCharacteristic": [
                {"name": "AntennaModel", "value": model},
                {
                    "name": "DiameterM",
                    "valueType": "number",
                    "value": rng.choice((0.6, 0.75, 1.0, 1.2, 2.4)),
                },
                {"name": "Stabilised", "value": site.segment in (0, 1, 2)},
            ],
            "relatedParty": [{"id": site.customer_id, "name": site.customer_name, "role": "owner"}],
            "place": [
                {"id": f"SITE-{7 * block:06d}", "name": site.name, "role": "InstallationSite"}
            ],
            "resourceRelationship": _relations(("isConnectedTo", world.terminal_ref(block))),
        }
    )
    return entity


def terminal(world: World, i: int, block: int) -> Entity:
    rng = Rng(world.seed, 3, i)
    k = casing(rng)
    site = world.site(7 * block)
    segment = SEGMENTS[site.segment].product
    entity = _resource(
        k,
        world.key("resources", i),
        f"{site.name} VSAT terminal",
        f"{segment} terminal",
        status(rng, 0.03, RESOURCE_STATUSES),
        "PhysicalResource",
    )
    modem_ref = {
        "id": f"RES-MDM-{7 * block:06d}",
        "name": f"Modem {site.name}",
        "@referredType": "Modem",
    }
    entity.update(
        {
            k("Type"): "Terminal",
            "resourceSpecification": _spec("RS-TERMINAL", "Terminal"),
            "resourceCharacteristic": [
                {"name": "TerminalClass", "value": segment.split()[0]},
                {
                    "name": "Commissioned",
                    "valueType": "datetime",
                    "value": names.past_date(rng, min_days=30, max_days=1500),
                },
            ],
            "relatedParty": [{"id": site.customer_id, "name": site.customer_name, "role": "owner"}],
            "place": [
                {"id": f"SITE-{7 * block:06d}", "name": site.name, "role": "InstallationSite"}
            ],
            "resourceRelationship": _relations(
                ("contains", modem_ref), ("isServedBy", world.gateway_ref(site.gateway))
            ),
        }
    )
    return entity


_EXCLUDED_NAMES = {
    "Card": "Line card {n} of {site}",
    "BandwidthSegment": "Bandwidth segment {n} at {site}",
    "LogicalPort": "Logical port ge-0/0/{n} of {site}",
    "Multicast": "Multicast group 239.1.{n}.1 at {site}",
    "Slot": "Slot {n} of {site}",
    "Port": "Port {n} of {site}",
    "Circuit": "Circuit {n} to {site}",
}


def excluded(world: World, i: int, block: int, type_name: str, abbr: str) -> Entity:
    """A resource of a type the product filters out, naming its type in one of four ways."""
    rng = Rng(world.seed, 3, i)
    k = casing(rng)
    site = world.site(7 * block)
    name = _EXCLUDED_NAMES[type_name].format(n=1 + rng.below(16), site=site.name)
    at_type = "PhysicalResource" if type_name in ("Card", "Slot", "Port") else "LogicalResource"
    entity = _resource(
        k, world.key("resources", i), name, f"{type_name} inventory record", "Operational", at_type
    )
    variant = (block // 7) % 4
    if variant == 0:
        entity[k("Type")] = type_name
        entity["resourceSpecification"] = _spec(f"RS-{abbr}", type_name)
    elif variant == 1:
        entity["resourceType"] = type_name.upper()
        entity["resourceSpecification"] = _spec(f"RS-{abbr}", type_name)
    elif variant == 2:  # no type field: only the specification names it
        entity["resourceSpecification"] = _spec(f"RS-{abbr}", type_name.lower())
    else:  # no type field and no specification: only `@type` names it
        entity["@type"] = type_name
    entity["resourceCharacteristic"] = [
        {"name": "Index", "valueType": "number", "value": rng.below(64)}
    ]
    entity["resourceRelationship"] = _relations(("isContainedIn", world.terminal_ref(block)))
    return entity
