"""Builders of services and carriers in the canonical (ses gateway) shape; resources are in `resources`.

Each takes the `World` (`simulator.world`: for keys, sites and what exists) and an index, and draws everything else
from its own seeded stream, so an entity is the same whenever and wherever it is generated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui_inventory.simulator import names
from tui_inventory.simulator.names import GATEWAYS, SATELLITES, SEGMENTS, Rng
from tui_inventory.simulator.world import World

Entity = dict[str, Any]

SERVICE_STATUSES = ("Non-Operational", "Pending", "Retired")
CARRIER_STATUSES = ("Non-Operational", "Maintenance")
RESOURCE_STATUSES = ("Non-Operational", "Maintenance")
SES_PARTY = {"id": "PTY-SES", "name": "SES", "role": "owner", "@referredType": "Organization"}


def status(rng: Rng, p: float, others: tuple[str, ...]) -> str:
    other = rng.choice(others)
    return other if rng.chance(p) else "Operational"


def casing(rng: Rng) -> Callable[[str], str]:
    """About one entity in ten spells its fields in camelCase instead of PascalCase."""
    if rng.chance(0.1):
        return lambda name: name[0].lower() + name[1:]
    return lambda name: name


def _dates(rng: Rng, state: str) -> tuple[str, str | None, str]:
    start = names.past_date(rng, min_days=90, max_days=2400, midnight=True)
    end = (
        names.past_date(rng, min_days=0, max_days=60, midnight=True) if state == "Retired" else None
    )
    last = names.past_date(rng, min_days=1, max_days=80)
    return start, end, last


def customer_service(world: World, i: int, c: int) -> Entity:
    rng = Rng(world.seed, 1, i)
    state = status(rng, 0.05, SERVICE_STATUSES)
    k = casing(rng)
    site = world.site(c)
    product = SEGMENTS[site.segment].product
    start, end, last = _dates(rng, state)
    parties = [
        {
            "id": site.customer_id,
            "name": site.customer_name,
            "role": "customer",
            "@referredType": "Organization",
        }
    ]
    if site.reseller:
        parties.append({"id": site.reseller[0], "name": site.reseller[1], "role": "reseller"})
    cir = rng.choice((2, 5, 10, 20, 50, 100))
    beams = []
    for _ in range(1 + rng.below(2)):
        if world.transponders:
            tp = rng.choice(world.transponders)
            sat = SATELLITES[tp.sat]
            beams.append(f"{sat.name}-{names.transponder_name(sat, tp.number)}")
    notes = rng.choice((None, None, None, "Crew welfare package", "Seasonal uplift", "Dual-beam"))
    characteristics: list[dict[str, Any]] = [
        {"name": "CIR_Mbps", "valueType": "number", "value": cir},
        {"name": "MIR_Mbps", "valueType": "number", "value": cir * rng.choice((2, 4, 5))},
        {"name": "Beams", "valueType": "array", "value": beams},
        {
            "name": "QoS",
            "valueType": "object",
            "value": {
                "class": rng.choice(("gold", "silver", "bronze")),
                "priority": 1 + rng.below(3),
            },
        },
        {"name": "Burstable", "value": rng.chance(0.6)},
        {"name": "SLA", "valueType": "string", "value": rng.choice(("99.5%", "99.7%", "99.9%"))},
        {"name": "Notes", "value": notes},
    ]
    entity: Entity = {
        k("ExternalId"): world.key("services", i),
        "id": rng.hex(32),
        k("Name"): f"{product} - {site.name}",
        k("Description"): f"{product} for {site.customer_name} at {site.name}",
        k("Status"): state,
        k("Type"): "CFS",
        k("StartDate"): start,
        k("EndDate"): end,
        k("LastUpdate"): last,
        "relatedParty": parties,
        "place": [{"id": f"SITE-{c:06d}", "role": "Site", "name": site.name}],
        "serviceCharacteristic": characteristics,
        "supportingResource": [],
    }
    if c < world.n_modems:
        modem = {"id": f"RES-MDM-{c:06d}", "name": f"Modem {site.name}", "@referredType": "Modem"}
        entity["supportingResource"] = [modem]
    return entity


def bandwidth_segment(world: World, i: int, b: int) -> Entity:
    rng = Rng(world.seed, 1, i)
    state = status(rng, 0.05, SERVICE_STATUSES)
    k = casing(rng)
    sat, tp_name, tp, mhz = world.bws(b)
    start, end, last = _dates(rng, state)
    gw_key, gw_name, _ = GATEWAYS[SATELLITES.index(sat) % len(GATEWAYS)]
    resources = world.infra_ref(sat.key, sat.name, "Satellite")
    if tp is not None:
        resources.insert(0, {"id": tp.key, "name": tp_name, "@referredType": "Transponder"})
    return {
        k("ExternalId"): world.key("services", i),
        "id": rng.hex(32),
        k("Name"): f"BW seg {mhz} MHz {sat.name} {tp_name}",
        k("Description"): f"Bandwidth segment of {mhz} MHz on {sat.name} transponder {tp_name}",
        k("Status"): state,
        k("Type"): "BandwidthSegment",
        k("StartDate"): start,
        k("EndDate"): end,
        k("LastUpdate"): last,
        "relatedParty": [dict(SES_PARTY, role="provider")],
        "place": [{"id": gw_key, "role": "Gateway", "name": gw_name}],
        "serviceCharacteristic": [
            {"name": "BandwidthMHz", "valueType": "number", "value": mhz},
            {"name": "Band", "value": sat.band},
            {"name": "Transponder", "value": tp.key if tp else None},
        ],
        "supportingResource": resources,
    }


def frequency(rng: Rng, bounds: tuple[float, float]) -> float:
    return round(rng.uniform(*bounds) * 2) / 2


def carrier(world: World, j: int) -> Entity:
    rng = Rng(world.seed, 2, j)
    state = status(rng, 0.05, CARRIER_STATUSES)
    k = casing(rng)
    sat, tp_name, tp = world.carrier_satellite(j)
    forward = j % 2 == 0
    number = (j // 2) % 12 + 1
    alias = tp_name.replace(" ", "")
    gw_key, gw_name, _ = GATEWAYS[SATELLITES.index(sat) % len(GATEWAYS)]
    places = [{"role": "Gateway", "name": gw_name, "id": gw_key}]
    if world.n_terminals:
        block = j % world.n_terminals
        site = world.site(7 * block)
        places.append({"role": "Terminal", "name": f"{site.name} VSAT", "id": f"TERM-{block:06d}"})
    uplink, downlink = names.BAND_FREQUENCIES[sat.band]
    resources = world.infra_ref(sat.key, sat.name, "Satellite")
    if tp is not None:
        resources.append({"id": tp.key, "name": tp_name, "@referredType": "Transponder"})
    segments = []
    if world.n_bws:
        first = (j // 2) % world.n_bws
        for b in dict.fromkeys((first, (first + 1) % world.n_bws) if j % 4 == 0 else (first,)):
            ref: dict[str, Any] = {
                "id": f"BWS-{b:06d}",
                "name": f"BW seg {world.bws(b)[3]} MHz",
                "@referredType": "BandwidthSegment",
            }
            if rng.chance(0.5):
                ref["status"] = world.service_status(10 * b + 9)
            segments.append(ref)
    direction = "Fwd" if forward else "Rtn"
    return {
        "id": rng.hex(8),
        k("ExternalId"): world.key("carriers", j),
        k("Name"): f"{sat.code} {alias} {direction} Carrier {number}",
        k("Status"): state,
        "category": "RFS",
        "@type": "Carrier",
        "place": places,
        "serviceCharacteristic": [
            {"name": "ElementType", "value": "Carrier"},
            {"name": "type", "value": "Forward" if forward else "Return"},
            {"name": "UplinkAlias", "value": f"{alias}-UL-{number}"},
            {"name": "DownlinkAlias", "value": f"{alias}-DL-{number}"},
            {
                "name": "UplinkRFCenterFrequency",
                "valueType": "number",
                "value": frequency(rng, uplink),
            },
            {
                "name": "DownlinkRFCenterFrequency",
                "valueType": "number",
                "value": frequency(rng, downlink),
            },
            {
                "name": "SymbolRate_Msps",
                "valueType": "number",
                "value": rng.choice((2.5, 5.0, 10.0, 30.0)),
            },
            {
                "name": "Modulation",
                "value": rng.choice(("QPSK 3/4", "8PSK 5/6", "16APSK 3/4", "32APSK 9/10")),
            },
        ],
        "supportingResource": resources,
        "supportingService": segments,
    }
