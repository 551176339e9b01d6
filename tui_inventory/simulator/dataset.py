"""The simulator's upstream data: generated entities plus the changes made to them since.

Only what differs from the generated base is held in memory: changed or added entities (whole,
keyed by their key), removed base indices, and the simulated tick at which each key last changed.

The simulated clock advances one tick per `tick()`; a tick stands for one periodic update interval.
`updatedDaysAgo=0` ("changed in the last 24 hours") selects the entities whose last change happened
at the current tick or the one before it, so a poll after a tick sees that tick's changes (and the
previous tick's again, as a 24-hour window polled hourly would). Each further day widens the window
by one tick.
"""

from __future__ import annotations

import bisect
import copy
import threading
from typing import Any

from tui_inventory.simulator import names
from tui_inventory.simulator.entities import CARRIER_STATUSES, RESOURCE_STATUSES, Entity
from tui_inventory.simulator.generate import (
    CHARACTERISTICS_FIELDS,
    KEY_FIELDS,
    KINDS,
    World,
    ci_get,
    ci_name,
    is_excluded_type,
    key_of,
    resource_type,
)
from tui_inventory.simulator.listing import ADDED, DUP, NULL, Chunk, Entry, Listing, Special
from tui_inventory.simulator.names import Rng

_TICK_WEIGHTS = {"services": 4, "carriers": 2, "resources": 4}
_NEW_ENTITY_CHANCE = 0.08
_STATUS_FLIPS = {
    "services": ("Non-Operational", "Non-Operational", "Pending", "Retired"),
    "carriers": CARRIER_STATUSES,
    "resources": RESOURCE_STATUSES,
}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")


class Dataset:
    def __init__(
        self,
        *,
        services: int = 200,
        carriers: int = 50,
        resources: int = 500,
        seed: int = 1,
        changes_per_poll: int = 0,
        duplicates: int = 0,
        null_keys: int = 0,
    ) -> None:
        if min(changes_per_poll, duplicates, null_keys) < 0:
            raise ValueError("changes_per_poll, duplicates and null_keys cannot be negative")
        self.world = World(seed=seed, services=services, carriers=carriers, resources=resources)
        self.seed = seed
        self.changes_per_poll = changes_per_poll
        self.window = 2  # ticks that updatedDaysAgo=0 covers: the current one and the one before
        self.clock = 0
        self.lock = threading.RLock()
        counts = self.world.counts
        self._listings = {
            k: Listing.woven(counts[k], self._weave(k, duplicates, null_keys)) for k in KINDS
        }
        self._overrides: dict[str, dict[str, Entity]] = {k: {} for k in KINDS}
        self._added: dict[str, dict[str, None]] = {k: {} for k in KINDS}
        self._removed: dict[str, set[int]] = {k: set() for k in KINDS}
        self._changed: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self._next_new = {k: counts[k] for k in KINDS}
        self._versions = dict.fromkeys(KINDS, 0)
        self._views: dict[tuple[str, int], tuple[int, Listing]] = {}

    def _weave(self, kind: str, duplicates: int, null_keys: int) -> list[tuple[int, Special]]:
        """Where the duplicates and null-key entries go: fixed by the seed, always after the original."""
        count = self.world.counts[kind]
        out: list[tuple[int, Special]] = []
        if count == 0:
            return out
        used: set[int] = set()
        for k in range(min(duplicates, count)):
            original = (self.seed + 3 * k) % count
            while original in used:
                original = (original + 1) % count
            used.add(original)
            # Every other duplicate lands pages later, the rest a few entries after the original.
            gap = max(51, count // 2) if k % 2 == 0 else 3
            out.append((original + gap, Special(DUP, key=self.world.key(kind, original))))
        for k in range(null_keys):
            at = ((k + 1) * count) // (null_keys + 1)
            out.append((at, Special(NULL, source=count + 1_000_000 + k, blank=k % 2 == 1)))
        return out

    # -- reading ----------------------------------------------------------------------------------

    def version(self, kind: str) -> int:
        return self._versions[kind]

    def _entity(self, kind: str, entry: Entry) -> Entity:
        """The entity an entry stands for; overrides are returned as they are: do not mutate."""
        if isinstance(entry, int):
            key = self.world.key(kind, entry)
            override = self._overrides[kind].get(key)
            return override if override is not None else self.world.generate(kind, entry)
        if entry.tag == ADDED:
            return self._overrides[kind][entry.key]
        if entry.tag == DUP:
            entity = dict(self._current(kind, entry.key))
            name = ci_name(entity, "Name") or "Name"
            entity[name] = f"{entity.get(name) or ''} (duplicate)"
            return entity
        entity = self.world.generate(kind, entry.source)
        entity[ci_name(entity, KEY_FIELDS[kind]) or KEY_FIELDS[kind]] = "" if entry.blank else None
        return entity

    def _current(self, kind: str, key: str) -> Entity:
        override = self._overrides[kind].get(key)
        if override is not None:
            return override
        i = self.world.index_of(kind, key)
        if i is None or i in self._removed[kind]:
            raise KeyError(f"no {kind[:-1]} with key {key!r}")
        return self.world.generate(kind, i)

    def _present(self, kind: str, key: str) -> bool:
        if key in self._added[kind]:
            return True
        i = self.world.index_of(kind, key)
        return i is not None and i not in self._removed[kind]

    def view(self, kind: str, updated_days_ago: int | None = None) -> Listing:
        """The full listing, or only what changed within the window of `updatedDaysAgo`."""
        _check_kind(kind)
        if updated_days_ago is None:
            return self._listings[kind]
        cached = self._views.get((kind, updated_days_ago))
        if cached is not None and cached[0] == self._versions[kind]:
            return cached[1]
        since = self.clock - (self.window - 1) - updated_days_ago
        recent = {key for key, tick in self._changed[kind].items() if tick >= since}
        indices = sorted(
            i
            for key in recent
            if (i := self.world.index_of(kind, key)) is not None and key not in self._added[kind]
        )
        chunks: list[Chunk] = []
        for chunk in self._listings[kind].chunks():
            if isinstance(chunk, range):
                lo, hi = (
                    bisect.bisect_left(indices, chunk.start),
                    bisect.bisect_left(indices, chunk.stop),
                )
                chunks.extend(range(i, i + 1) for i in indices[lo:hi])
            elif chunk.tag != NULL and chunk.key in recent:
                chunks.append(chunk)
        listing = Listing(chunks)
        self._views[(kind, updated_days_ago)] = (self._versions[kind], listing)
        return listing

    def page(
        self, kind: str, start: int, stop: int, updated_days_ago: int | None = None
    ) -> tuple[list[Entity], int]:
        """The entities at listing positions [start, stop) and the listing's length."""
        with self.lock:
            listing = self.view(kind, updated_days_ago)
            return [self._entity(kind, e) for e in listing.slice(start, stop)], len(listing)

    def items(self, kind: str) -> list[Entity]:
        """The current upstream listing in order, in the ses shape, junk entries included."""
        with self.lock:
            _check_kind(kind)
            return [copy.deepcopy(self._entity(kind, e)) for e in self._listings[kind]]

    def get(self, kind: str, key: str) -> Entity:
        with self.lock:
            _check_kind(kind)
            return copy.deepcopy(self._current(kind, key))

    def changed(self, kind: str) -> list[str]:
        """Keys an `updatedDaysAgo=0` listing holds now, in listing order, each once."""
        with self.lock:
            entries = self.view(kind, 0)
            keys = (e.key if isinstance(e, Special) else self.world.key(kind, e) for e in entries)
            return list(dict.fromkeys(keys))

    def expected_keys(self, kind: str) -> set[str]:
        """The keys a correct sync stores: non-null, each once, without filtered resource types."""
        with self.lock:
            _check_kind(kind)
            keys: set[str] = set()
            overrides = self._overrides[kind]
            for entry in self._listings[kind]:
                if isinstance(entry, int):
                    key = self.world.key(kind, entry)
                    if key not in overrides:
                        if not (kind == "resources" and self.world.is_filtered(entry)):
                            keys.add(key)
                        continue
                    entity = overrides[key]
                elif entry.tag == ADDED:
                    entity = overrides[entry.key]
                else:
                    continue  # duplicates repeat a key; null-key entries have none
                key_ = key_of(kind, entity)
                if key_ is None or (
                    kind == "resources" and is_excluded_type(resource_type(entity))
                ):
                    continue
                keys.add(key_)
            return keys

    # -- changing ---------------------------------------------------------------------------------

    def _touch(self, kind: str, key: str) -> None:
        self._changed[kind][key] = self.clock
        self._versions[kind] += 1

    def _materialise(self, kind: str, key: str) -> Entity:
        _check_kind(kind)
        entity = self._overrides[kind].get(key)
        if entity is None:
            entity = self._current(kind, key)  # freshly generated: ours to keep
            self._overrides[kind][key] = entity
        return entity

    def set_field(self, kind: str, key: str, field: str, value: Any) -> None:
        """Change one top-level field (matched regardless of case); marks the entity changed now."""
        with self.lock:
            if field.lower() == KEY_FIELDS[kind].lower():
                raise ValueError(
                    f"the key field {field!r} cannot be changed; remove and add instead"
                )
            entity = self._materialise(kind, key)
            entity[ci_name(entity, field) or field] = copy.deepcopy(value)
            self._touch(kind, key)

    def set_characteristic(self, kind: str, key: str, name: str, value: Any) -> None:
        """Set one characteristic's value (added when missing); marks the entity changed now."""
        with self.lock:
            entity = self._materialise(kind, key)
            field = ci_name(entity, CHARACTERISTICS_FIELDS[kind]) or CHARACTERISTICS_FIELDS[kind]
            characteristics = entity.get(field)
            if not isinstance(characteristics, list):
                characteristics = entity[field] = []
            for item in characteristics:
                if isinstance(item, dict) and str(ci_get(item, "name")).lower() == name.lower():
                    item["value"] = copy.deepcopy(value)
                    break
            else:
                characteristics.append({"name": name, "value": copy.deepcopy(value)})
            self._touch(kind, key)

    def remove(self, kind: str, key: str) -> None:
        """Take an entity (and any duplicate of it) out of the listing."""
        with self.lock:
            _check_kind(kind)
            listing = self._listings[kind]
            i = self.world.index_of(kind, key)
            if key in self._added[kind]:
                del self._added[kind][key]
                listing.remove_specials(lambda s: not (s.tag == ADDED and s.key == key))
            elif i is not None and i not in self._removed[kind]:
                listing.remove_base(i)
                self._removed[kind].add(i)
            else:
                raise KeyError(f"no {kind[:-1]} with key {key!r}")
            listing.remove_specials(lambda s: not (s.tag == DUP and s.key == key))
            self._overrides[kind].pop(key, None)
            self._changed[kind].pop(key, None)
            self._versions[kind] += 1

    def add(self, kind: str, entity: Entity) -> None:
        """Append a new entity (ses shape) to the listing; marks it changed now."""
        with self.lock:
            _check_kind(kind)
            key = key_of(kind, entity)
            if key is None:
                raise ValueError(f"a new {kind[:-1]} needs a non-empty {KEY_FIELDS[kind]}")
            if self._present(kind, key):
                raise ValueError(f"{kind[:-1]} {key!r} already exists; use set_field to change it")
            self._overrides[kind][key] = copy.deepcopy(entity)
            self._added[kind][key] = None
            self._listings[kind].append(Special(ADDED, key=key))
            self._touch(kind, key)

    def tick(self) -> list[tuple[str, str]]:
        """Advance the simulated clock one update interval and apply `changes_per_poll` changes."""
        with self.lock:
            self.clock += 1
            for kind in KINDS:
                self._versions[kind] += 1
            return self._random_changes(self.changes_per_poll, Rng(self.seed, 77, self.clock))

    def change_now(self, count: int, salt: int) -> list[tuple[str, str]]:
        """`count` upstream changes at the current tick (the clock stays): what happens upstream
        between two polls, told by events. `salt` makes each call's choices its own."""
        with self.lock:
            return self._random_changes(count, Rng(self.seed, 91, salt))

    def _random_changes(self, count: int, rng: Rng) -> list[tuple[str, str]]:
        changed: list[tuple[str, str]] = []
        kinds = [k for k in KINDS if len(self._listings[k])]
        if not kinds:
            return changed
        weighted = [k for k in kinds for _ in range(_TICK_WEIGHTS[k])]
        for _ in range(count):
            kind = rng.choice(weighted)
            key = self._new_entity(kind) if rng.chance(_NEW_ENTITY_CHANCE) else None
            if key is None:
                key = self._random_key(kind, rng)
                if key is None:
                    continue
                self._change(kind, key, rng)
            changed.append((kind, key))
        return changed

    def _new_entity(self, kind: str) -> str | None:
        i = self._next_new[kind]
        self._next_new[kind] += 1
        entity = self.world.generate(kind, i)
        key = key_of(kind, entity)
        if key is None or self._present(kind, key):
            return None
        if kind == "services":
            entity[ci_name(entity, "LastUpdate") or "LastUpdate"] = names.tick_time(self.clock)
        self.add(kind, entity)
        return key

    def _random_key(self, kind: str, rng: Rng) -> str | None:
        listing = self._listings[kind]
        for _ in range(10):
            entry = listing.slice(p := rng.below(len(listing)), p + 1)[0]
            if isinstance(entry, int):
                return self.world.key(kind, entry)
            if entry.tag != NULL:
                return entry.key
        return None

    def _change(self, kind: str, key: str, rng: Rng) -> None:
        """One upstream change: a status flip, a characteristic's new value, or a new name."""
        entity = self._materialise(kind, key)
        roll = rng.below(10)
        changed = False
        if roll < 4:
            field = ci_name(entity, "Status") or "Status"
            others = _STATUS_FLIPS[kind]
            operational = entity.get(field) == "Operational"
            entity[field] = rng.choice(others) if operational else "Operational"
            changed = True
        elif roll < 8:
            changed = _change_characteristic(entity, CHARACTERISTICS_FIELDS[kind], rng)
        if not changed:
            field = ci_name(entity, "Name") or "Name"
            entity[field] = _renamed(str(entity.get(field) or ""))
        if kind == "services":
            entity[ci_name(entity, "LastUpdate") or "LastUpdate"] = names.tick_time(self.clock)
        self._touch(kind, key)


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def _change_characteristic(entity: Entity, field: str, rng: Rng) -> bool:
    items = ci_get(entity, field)
    if not isinstance(items, list):
        return False
    candidates = [c for c in items if isinstance(c, dict) and _numeric(c.get("value"))]
    if not candidates:
        return False
    item = rng.choice(candidates)
    value = item["value"]
    step = rng.choice((-3, -2, -1, 1, 2, 5))
    if isinstance(value, int):
        item["value"] = max(1, value + 2 * step)
    elif isinstance(value, float):
        item["value"] = round(value + step * 0.5, 1)
    else:  # a number in a string, as ServiceNow sends them
        item["value"] = f"{float(value) + step * 0.5:.1f}"
    return True


def _renamed(name: str) -> str:
    """Products get upgraded and downgraded; other things get re-planned."""
    if " Plus - " in name:
        return name.replace(" Plus - ", " - ", 1)
    if " - " in name:
        return name.replace(" - ", " Plus - ", 1)
    suffix = " (re-planned)"
    return name[: -len(suffix)] if name.endswith(suffix) else name + suffix
