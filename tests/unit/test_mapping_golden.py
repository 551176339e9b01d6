"""The mapping's output does not drift: digests of everything it gives for a fixed body of input.

The store hashes each instance's fields JSON to detect changes, so a mapping that gives a different
byte anywhere (key order, 1 vs 1.0, a list vs a tuple, an item moved into Other Fields) would
rewrite every stored instance on the next sync. The input is the simulator's dataset in each shape
it serves (ses, TMF v4, TMF v5), read with both dialects, plus the payload fixtures and
deterministic mutations of both (case changes, repeated spellings, wrong types, junk members);
the digests in fixtures/mapping_golden.json were taken from the mapping before its speed-up.

A deliberate change of output regenerates them: `python tests/unit/test_mapping_golden.py --write`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

from cli_fixtures import FIXTURES

from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.render import encode, render
from tui_inventory.tmf.mapping import Skip, entity_key, map_entity

GOLDEN = FIXTURES / "mapping_golden.json"
PAYLOADS = FIXTURES / "payloads"
KINDS = ("services", "carriers", "resources")
SHAPES = {"ses": None, "v4": 4, "v5": 5}
DIALECTS = ("ses", "tmf630")

# Values of every JSON type and the strings the mapping treats specially.
ODD = [
    "text", "", " ", 0, 7, -1, 1.5, float("nan"), float("inf"), True, False, None, [], {}, [1, 2],
    ["a"], [None], [[]], [{}], {"x": 1}, "12", "1_0", " 3.5 ", "1e400", "Operational", "customer",
    "Site", "gateway", {"id": "Z", "name": "zz", "role": "Site"},
    {"id": " R-1 ", "@type": "Modem", "relationshipType": "bundled", "Name": ""},
]  # fmt: skip
MEMBERS = [
    "extra", "Extra", "@type", "href", "role", "Role", "value", "valueType", "name", "id",
    "resource", "place", "partyOrPartyRole", "party", "status", "state",
]  # fmt: skip


def service_status(key: str) -> str | None:
    """A fixed Services inventory for carriers' supporting services without a status."""
    return ("Operational", None, "Terminated", "active")[sum(map(ord, key)) % 4]


def outcome(kind: str, raw: Any, dialect: str) -> str:
    """Everything a caller can see of one mapping, as text: JSON as the store writes it, and repr
    so that types JSON does not tell apart (a tuple, a str subclass) count too."""
    key = entity_key(kind, raw, dialect=dialect)
    try:
        m = map_entity(kind, raw, dialect=dialect, service_status=service_status)
    except Skip as skip:
        return repr(("skip", key, skip.reason, skip.key))
    seen = (m.key, m.name, m.status, m.type, m.site, m.fields)
    return repr((key, seen)) + json.dumps(seen, ensure_ascii=False, separators=(",", ":"))


def _rename(rng: random.Random, name: Any) -> Any:
    if not isinstance(name, str):
        return name
    return rng.choice((name.upper(), name.lower(), name[:1].swapcase() + name[1:], name.swapcase()))


def mutated(rng: random.Random, value: Any) -> Any:
    """`value` with members dropped, renamed, spelled twice, replaced by odd values, reordered."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for name, member in value.items():
            r = rng.random()
            if r < 0.1:
                continue
            if r > 0.93:
                out[name] = mutated(rng, member)  # the first of two spellings
            new_name = _rename(rng, name) if r < 0.35 or r > 0.93 else name
            if rng.random() < 0.08:
                member = copy.deepcopy(rng.choice(ODD))
            out[new_name] = mutated(rng, member)
        if rng.random() < 0.1:
            out[rng.choice(MEMBERS)] = copy.deepcopy(rng.choice(ODD))
        if rng.random() < 0.1:
            pairs = list(out.items())
            rng.shuffle(pairs)
            out = dict(pairs)
        return out
    if isinstance(value, list):
        items = [mutated(rng, v) for v in value if rng.random() > 0.05]
        if rng.random() < 0.1:
            items.append(copy.deepcopy(rng.choice(ODD)))
        return items[0] if items and rng.random() < 0.05 else items
    return value


def simulator_entities(version: int | None) -> Iterator[tuple[str, Any]]:
    """(kind, decoded entity) of a small dataset after a few changes, junk entries included."""
    dataset = Dataset(services=200, carriers=50, resources=500, seed=1, duplicates=3, null_keys=3)
    for _ in range(3):
        dataset.tick()
    for kind in KINDS:
        entities, _ = dataset.page(kind, 0, 10**6)
        for entity in json.loads(encode([render(kind, e, version) for e in entities])):
            yield kind, entity


def fixture_entities() -> Iterator[tuple[str, Any]]:
    for path in sorted(PAYLOADS.glob("*.json")):
        kind = next(k for k in KINDS if k[:-1] in path.name)
        data = json.loads(path.read_text(encoding="utf-8"))
        for entity in data if isinstance(data, list) else [data]:
            yield kind, entity


def groups() -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """(group name, [(kind, entity)]) of every input, in a fixed order."""
    for shape, version in SHAPES.items():
        yield f"simulator {shape}", list(simulator_entities(version))
    fixtures = list(fixture_entities())
    yield "fixtures", fixtures
    rng = random.Random(7)
    yield "fixtures mutated", [(k, mutated(rng, e)) for k, e in fixtures for _ in range(40)]
    for shape, version in SHAPES.items():
        yield (
            f"simulator {shape} mutated",
            [(k, mutated(rng, e)) for k, e in simulator_entities(version)],
        )


def digests() -> dict[str, str]:
    out = {}
    for name, entities in groups():
        for dialect in DIALECTS:
            h = hashlib.sha256()
            for kind, entity in entities:
                h.update(outcome(kind, entity, dialect).encode("utf-8", "surrogatepass"))
                h.update(b"\n")
            out[f"{name}, {dialect} dialect ({len(entities)} entities)"] = h.hexdigest()
    return out


def test_mapping_output_matches_the_golden_digests() -> None:
    assert digests() == json.loads(GOLDEN.read_text(encoding="utf-8"))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: {sys.argv[0]} --write   (regenerates {GOLDEN.name})")
    GOLDEN.write_text(json.dumps(digests(), indent=2) + "\n", encoding="utf-8")
