"""What an entity builder may ask of the generated world: its seed, its sites, keys and references.

`generate.World` is the one implementation; `entities` and `resources` build entities against this
protocol, so the builders and the world that calls them do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tui_inventory.simulator.names import Satellite


@dataclass(frozen=True)
class Infra:
    key: str
    role: str  # satellite | gateway | transponder
    sat: int  # index into SATELLITES (gateways: index into GATEWAYS)
    number: int = 0  # transponder number on its satellite


@dataclass(frozen=True)
class Site:
    number: int
    segment: int
    name: str
    customer_id: str
    customer_name: str
    gateway: int
    reseller: tuple[str, str] | None


class World(Protocol):
    """One (seed, counts) world, as the entity builders see it."""

    seed: int
    transponders: list[Infra]
    n_modems: int
    n_terminals: int
    n_bws: int

    def key(self, kind: str, i: int) -> str: ...

    def index_of(self, kind: str, key: str) -> int | None: ...

    def site(self, n: int) -> Site: ...

    def service_status(self, i: int) -> str: ...

    def bws(self, b: int) -> tuple[Satellite, str, Infra | None, int]: ...

    def carrier_satellite(self, j: int) -> tuple[Satellite, str, Infra | None]: ...

    def terminal_ref(self, block: int) -> dict[str, Any] | None: ...

    def gateway_ref(self, g: int) -> dict[str, Any] | None: ...

    def infra_ref(self, key: str, name: str, referred: str) -> list[dict[str, Any]]: ...
