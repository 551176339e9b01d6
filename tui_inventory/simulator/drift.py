"""Upstream drift between runs: rename one instance, add one, drop one, per inventory.

`drift(dataset)` makes exactly the differences a verify (SPEC §11) must find, and says which:
each touches an instance a correct sync stores (an Operational service, a resource of a kept
type), so a renamed one is a difference, an added one is missing from the store and a dropped one
is extra there. Deterministic: the same dataset drifts the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.generate import KINDS, ci_get, ci_name

_NEW_TRIES = 200


@dataclass(frozen=True)
class Drift:
    """What one inventory's drift did: the key renamed, the key added and the key removed."""

    kind: str
    renamed: str
    added: str
    removed: str


def _counted(dataset: Dataset, kind: str, key: str) -> bool:
    """Whether a verify counts a stored `key` as missing when it is not stored (services: only
    Operational ones)."""
    return kind != "services" or ci_get(dataset.get(kind, key), "Status") == "Operational"


def _stored(dataset: Dataset, kind: str, key: str) -> bool:
    """Whether a correct sync stores `key` and a verify counts it."""
    return key in dataset.expected_keys(kind) and _counted(dataset, kind, key)


def _keys(dataset: Dataset, kind: str) -> list[str]:
    return sorted(k for k in dataset.expected_keys(kind) if _counted(dataset, kind, k))


def rename(dataset: Dataset, kind: str, key: str) -> None:
    entity = dataset.get(kind, key)
    field = ci_name(entity, "Name") or "Name"
    dataset.set_field(kind, key, field, f"{ci_get(entity, 'Name') or ''} (renamed upstream)")


def add_new(dataset: Dataset, kind: str) -> str:
    """Add a newly generated instance a sync would store; returns its key."""
    for _ in range(_NEW_TRIES):
        with dataset.lock:
            i = dataset._next_new[kind]
            dataset._next_new[kind] += 1
            entity = dataset.world.generate(kind, i)
            key = ci_get(entity, "Id" if kind == "resources" else "ExternalId")
            if not key or dataset._present(kind, str(key)):
                continue
            dataset.add(kind, entity)
        if _stored(dataset, kind, str(key)):
            return str(key)
        dataset.remove(kind, str(key))
    raise RuntimeError(f"no new {kind[:-1]} a sync would store in {_NEW_TRIES} tries")


def drift(dataset: Dataset, kinds: Sequence[str] = KINDS) -> dict[str, Drift]:
    """Per inventory of `kinds`: rename one stored instance, add one, drop another."""
    out: dict[str, Drift] = {}
    for kind in kinds:
        keys = _keys(dataset, kind)
        if len(keys) < 2:
            raise ValueError(f"{kind}: too few instances to drift")
        renamed, removed = keys[len(keys) // 3], keys[2 * len(keys) // 3]
        rename(dataset, kind, renamed)
        dataset.remove(kind, removed)
        out[kind] = Drift(kind, renamed, add_new(dataset, kind), removed)
    return out
