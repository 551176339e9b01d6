"""The base dataset: every entity is generated on demand from (seed, kind, index), in the ses shape.

Layout (index → entity), chosen so relationships are coherent without materialising anything:

- services: in every block of ten, nine customer-facing services (`SVC-<n>`, n counting CFS only)
  and one bandwidth segment (`BWS-<n>`). CFS n is supported by modem n and sits at site n.
- carriers: carrier j rides bandwidth segment (j // 2) and that segment's transponder.
- resources: first the infrastructure (satellites, gateways, transponders), then blocks of ten:
  seven modems, an antenna, a terminal and one resource of an excluded type (Card, Port, ...).
"""

from __future__ import annotations

import re
from typing import Any

from tui_inventory.simulator import entities, names, resources
from tui_inventory.simulator.names import (
    GATEWAYS,
    SATELLITES,
    TRANSPONDERS_PER_SATELLITE,
    Rng,
    Satellite,
)
from tui_inventory.simulator.world import Infra, Site

Entity = entities.Entity

KINDS: tuple[str, ...] = ("services", "carriers", "resources")
KEY_FIELDS = {"services": "ExternalId", "carriers": "ExternalId", "resources": "Id"}
CHARACTERISTICS_FIELDS = {
    "services": "serviceCharacteristic",
    "carriers": "serviceCharacteristic",
    "resources": "resourceCharacteristic",
}
EXCLUDED_TYPES = ("Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit")
_EXCLUDED_LOWER = frozenset(t.lower() for t in EXCLUDED_TYPES)
_EXCLUDED_ABBR = ("CRD", "BWSEG", "LPORT", "MCAST", "SLOT", "PORT", "CKT")
_SITE_STREAM, _BWS_STREAM = 4, 5

_BLOCK = (
    "modem", "modem", "antenna", "modem", "terminal", "modem", "modem", "excluded", "modem", "modem",
)  # fmt: skip
_MODEM_POS = tuple(pos for pos, role in enumerate(_BLOCK) if role == "modem")
_MODEM_RANK = {pos: rank for rank, pos in enumerate(_MODEM_POS)}
_TERMINAL_POS = _BLOCK.index("terminal")
_RESOURCE_KEY = re.compile(r"^(?:RES-([A-Z]+)|TERM)-(\d+)$")


def ci_get(entity: Entity, name: str) -> Any:
    """A top-level field by name, regardless of case (the ses gateway mixes both)."""
    if name in entity:
        return entity[name]
    lower = name.lower()
    for k, v in entity.items():
        if k.lower() == lower:
            return v
    return None


def ci_name(entity: Entity, name: str) -> str | None:
    lower = name.lower()
    return next((k for k in entity if k.lower() == lower), None)


def key_of(kind: str, entity: Entity) -> str | None:
    """An entity's key as a correct sync sees it: None when null or empty."""
    value = ci_get(entity, KEY_FIELDS[kind])
    if value is None or str(value).strip() == "":
        return None
    return str(value)


def resource_type(entity: Entity) -> str:
    """Own `type`/`resourceType`, else the specification's name, else `@type` (SPEC §4)."""
    for field in ("type", "resourceType"):
        value = ci_get(entity, field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    spec = ci_get(entity, "resourceSpecification")
    if isinstance(spec, dict):
        value = ci_get(spec, "name")
        if isinstance(value, str) and value.strip():
            return value.strip()
    value = ci_get(entity, "@type")
    return value.strip() if isinstance(value, str) else ""


def is_excluded_type(type_name: str) -> bool:
    return type_name.lower() in _EXCLUDED_LOWER


def _infra_catalogue() -> list[Infra]:
    # Interleaved so that any prefix has a satellite, one of its transponders and a gateway.
    out: list[Infra] = []
    for s, sat in enumerate(SATELLITES):
        out.append(Infra(sat.key, "satellite", s))
        out.append(Infra(names.transponder_key(sat, 0), "transponder", s, 0))
        if s < len(GATEWAYS):
            out.append(Infra(GATEWAYS[s][0], "gateway", s))
    for number in range(1, TRANSPONDERS_PER_SATELLITE):
        for s, sat in enumerate(SATELLITES):
            out.append(Infra(names.transponder_key(sat, number), "transponder", s, number))
    return out


class World:
    """Pure functions from index to entity for one (seed, counts)."""

    def __init__(self, *, seed: int, services: int, carriers: int, resources: int) -> None:
        if min(services, carriers, resources) < 0:
            raise ValueError("entity counts cannot be negative")
        self.seed = seed
        self.counts = {"services": services, "carriers": carriers, "resources": resources}
        catalogue = _infra_catalogue()
        n_infra = min(len(catalogue), max(resources // 5, min(resources, 3)))
        self.infra = catalogue[:n_infra]
        self._infra_index = {inf.key: i for i, inf in enumerate(self.infra)}
        self.transponders = [inf for inf in self.infra if inf.role == "transponder"]
        rest = resources - n_infra
        full, part = divmod(rest, 10)
        self.n_modems = len(_MODEM_POS) * full + sum(1 for pos in _MODEM_POS if pos < part)
        self.n_terminals = full + (1 if part > _TERMINAL_POS else 0)
        self.n_bws = services // 10

    # -- keys ---------------------------------------------------------------------------------

    def key(self, kind: str, i: int) -> str:
        if kind == "services":
            block, pos = divmod(i, 10)
            return f"BWS-{block:06d}" if pos == 9 else f"SVC-{9 * block + pos:06d}"
        if kind == "carriers":
            return f"CAR-{self.carrier_satellite(i)[0].code}-{i:04d}"
        if i < len(self.infra):
            return self.infra[i].key
        block, pos = divmod(i - len(self.infra), 10)
        role = _BLOCK[pos]
        if role == "modem":
            return f"RES-MDM-{7 * block + _MODEM_RANK[pos]:06d}"
        if role == "antenna":
            return f"RES-ANT-{block:06d}"
        if role == "terminal":
            return f"TERM-{block:06d}"
        return f"RES-{_EXCLUDED_ABBR[block % 7]}-{block:06d}"

    def index_of(self, kind: str, key: str) -> int | None:
        """The base index of a key, or None when the key is not one of the generated entities."""
        i = self._guess_index(kind, key)
        if i is None or not 0 <= i < self.counts[kind] or self.key(kind, i) != key:
            return None
        return i

    def _guess_index(self, kind: str, key: str) -> int | None:
        if kind == "resources" and key in self._infra_index:
            return self._infra_index[key]
        prefix, _, digits = key.rpartition("-")
        if not digits.isdigit():
            return None
        n = int(digits)
        if kind == "services":
            if prefix == "BWS":
                return 10 * n + 9
            return 10 * (n // 9) + n % 9 if prefix == "SVC" else None
        if kind == "carriers":
            return n
        match = _RESOURCE_KEY.match(key)
        if match is None:
            return None
        base = len(self.infra)
        if match.group(1) == "MDM":
            return base + 10 * (n // 7) + _MODEM_POS[n % 7]
        if match.group(1) == "ANT":
            return base + 10 * n + _BLOCK.index("antenna")
        if match.group(1) is None:
            return base + 10 * n + _TERMINAL_POS
        return base + 10 * n + _BLOCK.index("excluded")

    def is_filtered(self, i: int) -> bool:
        """Whether base resource i is of an excluded type (without generating it)."""
        n_infra = len(self.infra)
        return i >= n_infra and _BLOCK[(i - n_infra) % 10] == "excluded"

    # -- shared derived facts -------------------------------------------------------------------

    def site(self, n: int) -> Site:
        rng = Rng(self.seed, _SITE_STREAM, n)
        segment = names.segment_of(rng)
        name = names.site_name(segment, rng)
        cust_id, cust_name = names.customer(segment, rng)
        reseller = rng.choice(names.RESELLERS) if rng.chance(0.3) else None
        return Site(n, segment, name, cust_id, cust_name, rng.below(len(GATEWAYS)), reseller)

    def service_status(self, i: int) -> str:
        return entities.status(Rng(self.seed, 1, i), 0.05, entities.SERVICE_STATUSES)

    def bws(self, b: int) -> tuple[Satellite, str, Infra | None, int]:
        """Bandwidth segment b: its satellite, transponder name, transponder resource, MHz."""
        mhz = Rng(self.seed, _BWS_STREAM, b).choice((9, 18, 36, 54, 72))
        if self.transponders:
            tp = self.transponders[b % len(self.transponders)]
            sat = SATELLITES[tp.sat]
            return sat, names.transponder_name(sat, tp.number), tp, mhz
        sat = SATELLITES[b % len(SATELLITES)]
        return sat, names.transponder_name(sat, b % TRANSPONDERS_PER_SATELLITE), None, mhz

    def carrier_satellite(self, j: int) -> tuple[Satellite, str, Infra | None]:
        if self.n_bws:
            sat, tp_name, tp, _ = self.bws((j // 2) % self.n_bws)
            return sat, tp_name, tp
        if self.transponders:
            tp = self.transponders[j % len(self.transponders)]
            sat = SATELLITES[tp.sat]
            return sat, names.transponder_name(sat, tp.number), tp
        sat = SATELLITES[j % len(SATELLITES)]
        return sat, names.transponder_name(sat, 0), None

    def resource_exists(self, i: int) -> bool:
        return 0 <= i < self.counts["resources"]

    def terminal_ref(self, block: int) -> dict[str, Any] | None:
        if not self.resource_exists(len(self.infra) + 10 * block + _TERMINAL_POS):
            return None
        name = f"{self.site(7 * block).name} VSAT terminal"
        return {"id": f"TERM-{block:06d}", "name": name, "@referredType": "Terminal"}

    def gateway_ref(self, g: int) -> dict[str, Any] | None:
        key, name, _ = GATEWAYS[g]
        if key not in self._infra_index:
            return None
        return {"id": key, "name": name, "@referredType": "Gateway"}

    def infra_ref(self, key: str, name: str, referred: str) -> list[dict[str, Any]]:
        return (
            [{"id": key, "name": name, "@referredType": referred}]
            if key in self._infra_index
            else []
        )

    # -- entities -------------------------------------------------------------------------------

    def generate(self, kind: str, i: int) -> Entity:
        if kind == "services":
            return self._service(i)
        if kind == "carriers":
            return self._carrier(i)
        return self._resource(i)

    def _service(self, i: int) -> Entity:
        if i % 10 == 9:
            return entities.bandwidth_segment(self, i, i // 10)
        return entities.customer_service(self, i, 9 * (i // 10) + i % 10)

    def _carrier(self, j: int) -> Entity:
        return entities.carrier(self, j)

    def _resource(self, i: int) -> Entity:
        if i < len(self.infra):
            return resources.infrastructure(self, self.infra[i])
        block, pos = divmod(i - len(self.infra), 10)
        role = _BLOCK[pos]
        if role == "modem":
            return resources.modem(self, i, 7 * block + _MODEM_RANK[pos])
        if role == "antenna":
            return resources.antenna(self, i, block)
        if role == "terminal":
            return resources.terminal(self, i, block)
        return resources.excluded(
            self, i, block, EXCLUDED_TYPES[block % 7], _EXCLUDED_ABBR[block % 7]
        )
