"""The simulated operator's world: its fleet, gateways, customers and sites, and a seeded generator.

Everything here is a pure function of (seed, index), so a million entities need no memory until
they are asked for, and two simulators with the same seed serve byte-identical listings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Rng:
    """SplitMix64: a tiny, fast generator seeded from integers (stable across processes)."""

    __slots__ = ("_state",)

    def __init__(self, *parts: int) -> None:
        state = 0
        for part in parts:
            state = _mix(((state ^ (part & _MASK)) + _GOLDEN) & _MASK)
        self._state = state

    def next(self) -> int:
        self._state = (self._state + _GOLDEN) & _MASK
        return _mix(self._state)

    def below(self, n: int) -> int:
        return self.next() % n if n > 0 else 0

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return self.next() < p * (1 << 64)

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * (self.next() / (1 << 64))

    def hex(self, digits: int) -> str:
        out = ""
        while len(out) < digits:
            out += f"{self.next():016x}"
        return out[:digits]


# The simulated clock: tick 0 is this instant; each tick is one periodic update interval.
EPOCH = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
TICK = timedelta(hours=1)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tick_time(tick: int) -> str:
    return iso(EPOCH + tick * TICK)


def past_date(rng: Rng, *, min_days: int, max_days: int, midnight: bool = False) -> str:
    moment = EPOCH - timedelta(days=min_days + rng.below(max_days - min_days + 1))
    if midnight:
        moment = moment.replace(hour=0)
    else:
        moment -= timedelta(minutes=rng.below(24 * 60))
    return iso(moment)


@dataclass(frozen=True)
class Satellite:
    key: str  # resource Id, e.g. SAT-SES17
    code: str  # used in carrier keys and names, e.g. SES17
    name: str  # e.g. SES-17
    band: str  # Ka, Ku or C
    orbit: str  # GEO slot or MEO
    beam_prefix: str  # transponder names: K41, B3, Beam 12


SATELLITES: tuple[Satellite, ...] = (
    Satellite("SAT-SES17", "SES17", "SES-17", "Ka", "67.1W", "K"),
    Satellite("SAT-NSS12", "NSS12", "NSS-12", "Ku", "57.0E", "B"),
    Satellite("SAT-O3BMP1", "O3BMP1", "O3b mPOWER F1", "Ka", "MEO", "Beam "),
    Satellite("SAT-SES4", "SES4", "SES-4", "Ku", "22.0W", "T"),
    Satellite("SAT-ASTRA1P", "ASTRA1P", "ASTRA 1P", "Ku", "19.2E", "U"),
    Satellite("SAT-SES12", "SES12", "SES-12", "Ka", "95.0E", "K"),
    Satellite("SAT-O3BMP2", "O3BMP2", "O3b mPOWER F2", "Ka", "MEO", "Beam "),
    Satellite("SAT-SES14", "SES14", "SES-14", "C", "47.5W", "C"),
    Satellite("SAT-SES15", "SES15", "SES-15", "Ku", "129.0W", "B"),
    Satellite("SAT-O3BMP3", "O3BMP3", "O3b mPOWER F3", "Ka", "MEO", "Beam "),
    Satellite("SAT-SES5", "SES5", "SES-5", "C", "5.0E", "C"),
    Satellite("SAT-SES9", "SES9", "SES-9", "Ku", "108.2E", "B"),
    Satellite("SAT-ASTRA2E", "ASTRA2E", "ASTRA 2E", "Ku", "28.2E", "U"),
    Satellite("SAT-O3BMP4", "O3BMP4", "O3b mPOWER F4", "Ka", "MEO", "Beam "),
)

# (key, name, country) — teleports of the operator and its partners.
GATEWAYS: tuple[tuple[str, str, str], ...] = (
    ("GW-BTZ", "Betzdorf GW", "LU"),
    ("GW-MNS", "Manassas GW", "US"),
    ("GW-WDB", "Woodbine GW", "US"),
    ("GW-HWL", "Hawley GW", "US"),
    ("GW-LAR", "Lario GW", "IT"),
    ("GW-DBO", "Dubbo GW", "AU"),
    ("GW-SNT", "Sintra GW", "PT"),
    ("GW-VRN", "Vernon GW", "US"),
    ("GW-HAL", "Haleiwa GW", "US"),
    ("GW-LIM", "Lima GW", "PE"),
)

TRANSPONDERS_PER_SATELLITE = 8

# band -> (uplink MHz range, downlink MHz range)
BAND_FREQUENCIES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "Ka": ((27500.0, 30000.0), (17700.0, 20200.0)),
    "Ku": ((14000.0, 14500.0), (10950.0, 12750.0)),
    "C": ((5925.0, 6425.0), (3700.0, 4200.0)),
}


def transponder_name(sat: Satellite, number: int) -> str:
    base = {"K": 40, "B": 1, "Beam ": 10, "T": 1, "U": 100, "C": 1}[sat.beam_prefix]
    return f"{sat.beam_prefix}{base + number}"


def transponder_key(sat: Satellite, number: int) -> str:
    return f"TP-{sat.code}-{transponder_name(sat, number).replace(' ', '')}"


# Market segments: (product name, site kind, modem label, customer first words, customer kinds).
@dataclass(frozen=True)
class Segment:
    product: str
    modem_label: str
    customer_words: tuple[str, ...]
    customer_kinds: tuple[str, ...]


SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "Maritime Broadband",
        "Vessel modem",
        ("Aurora", "Nordic", "Atlantic", "Meridian", "Polaris", "Baltic", "Coral", "Pacific"),
        ("Shipping", "Tankers", "Cruises", "Line", "Offshore", "Maritime"),
    ),
    Segment(
        "Aero Connectivity",
        "Aircraft modem",
        ("Skyward", "Alpine", "Emerald", "Sunrise", "Condor", "Aurora", "Pacific", "Sahara"),
        ("Airways", "Air", "Aviation", "Airlines"),
    ),
    Segment(
        "Energy Backhaul",
        "Rig modem",
        ("North Sea", "Gulf", "Petro", "Equinor", "Bonga", "Caspian", "Santos", "Delta"),
        ("Energy", "Drilling", "Offshore", "Petroleum"),
    ),
    Segment(
        "Cellular Backhaul",
        "Site modem",
        ("Kivu", "Andes", "Sahel", "Pacific Islands", "Borneo", "Atlas", "Kalahari", "Nile"),
        ("Telecom", "Mobile", "Cellular", "Networks"),
    ),
    Segment(
        "Government Secure Link",
        "Terminal modem",
        ("Ministry of Defence", "Civil Protection", "Coast Guard", "Foreign Affairs"),
        ("Agency", "Directorate", "Service"),
    ),
    Segment(
        "Enterprise Managed Connectivity",
        "Site modem",
        ("Ridge", "Summit", "Canyon", "Outback", "Boreal", "Savanna", "Tundra", "Highland"),
        ("Mining", "Resources", "Logistics", "Industries"),
    ),
)
SEGMENT_WEIGHTS = (40, 20, 12, 12, 6, 10)

_SHIP_FIRST = (
    "Aurora", "Northern", "Atlantic", "Pacific", "Silver", "Golden", "Ocean", "Polar", "Coral",
    "Baltic", "Arctic", "Royal", "Blue", "Crimson", "Emerald", "Nordic", "Celtic", "Southern",
)  # fmt: skip
_SHIP_SECOND = (
    "Voyager", "Spirit", "Explorer", "Pioneer", "Star", "Dawn", "Horizon", "Pride", "Trader",
    "Breeze", "Navigator", "Endeavour", "Princess", "Guardian", "Venture", "Challenger",
)  # fmt: skip
_SHIP_PREFIX = ("MV", "MV", "MT", "MS", "MSC", "CMA")
_AIRCRAFT = ("A350-900", "A320neo", "A321LR", "B787-9", "B777-300ER", "B737 MAX 8", "E195-E2")
_REG_PREFIX = ("9V-S", "A6-E", "D-A", "F-H", "G-X", "N", "VH-Z", "PR-X", "LX-V")
_FIELDS = (
    "Troll", "Statfjord", "Brent", "Bonga", "Johan Sverdrup", "Gullfaks", "Thunder Horse",
    "Mars", "Lula", "Buzios", "Egina", "Agbami", "Clair", "Schiehallion", "Mero",
)  # fmt: skip
_RIG_PREFIX = ("Rig", "Platform", "FPSO", "Jack-up")
_CELL_PLACES = (
    "Goma", "Bukavu", "Cusco", "Arequipa", "Timbuktu", "Agadez", "Kuching", "Sandakan",
    "Ouarzazate", "Maun", "Juba", "Lamu", "Apia", "Suva", "Honiara", "Port Vila",
)  # fmt: skip
_GOV_SITES = ("Embassy", "Field Office", "Patrol Vessel", "Command Post", "Relief Camp")
_ENTERPRISE_SITES = ("Mine", "Camp", "Depot", "Pipeline Station", "Remote Office")
_REGIONS = ("Pilbara", "Atacama", "Yukon", "Kalgoorlie", "Lapland", "Katanga", "Mongolia")


def segment_of(rng: Rng) -> int:
    roll = rng.below(sum(SEGMENT_WEIGHTS))
    for i, weight in enumerate(SEGMENT_WEIGHTS):
        if roll < weight:
            return i
        roll -= weight
    return 0


def site_name(segment: int, rng: Rng) -> str:
    if segment == 0:
        return f"{rng.choice(_SHIP_PREFIX)} {rng.choice(_SHIP_FIRST)} {rng.choice(_SHIP_SECOND)}"
    if segment == 1:
        letters = "".join(chr(ord("A") + rng.below(26)) for _ in range(2))
        return f"{rng.choice(_AIRCRAFT)} {rng.choice(_REG_PREFIX)}{letters}{rng.below(10)}"
    if segment == 2:
        return f"{rng.choice(_RIG_PREFIX)} {rng.choice(_FIELDS)} {chr(ord('A') + rng.below(5))}"
    if segment == 3:
        return f"Cell site {rng.choice(_CELL_PLACES)}-{1 + rng.below(99):03d}"
    if segment == 4:
        return f"{rng.choice(_GOV_SITES)} {rng.choice(_CELL_PLACES)}"
    return f"{rng.choice(_ENTERPRISE_SITES)} {rng.choice(_REGIONS)} {1 + rng.below(12)}"


def customer(segment: int, rng: Rng) -> tuple[str, str]:
    """A customer's (id, name): a small, stable set per segment, shared by many sites."""
    seg = SEGMENTS[segment]
    a = rng.below(len(seg.customer_words))
    b = rng.below(len(seg.customer_kinds))
    return f"CUST-{segment + 1}{a:02d}{b}", f"{seg.customer_words[a]} {seg.customer_kinds[b]}"


MODEM_TYPES = (
    "Newtec MDM2210", "Newtec MDM3310", "Newtec MDM5010", "iDirect X7", "iDirect iQ 200",
    "Gilat SkyEdge II-c Capricorn", "Hughes HT2010",
)  # fmt: skip
ANTENNA_TYPES = (
    "Intellian v240MT", "Intellian NX100", "Cobham Sailor 900", "ThinKom ThinAir Ka2517",
    "Kymeta u8", "KVH TracPhone V7", "Gilat Sky-G",
)  # fmt: skip
RESELLERS = (
    ("PTY-7", "Marlink"),
    ("PTY-12", "Speedcast"),
    ("PTY-19", "Anuvu"),
    ("PTY-23", "Telenor Satellite"),
)
