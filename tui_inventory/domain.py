"""The domain's words, named once: the inventories, the run modes, the states of a run and of a
type in it, the kinds of change, and the counters of what a run did to a type (SPEC §4).

Every layer may import this module; it imports nothing of the project. The values are the strings
the database, the log and the JSON output carry, so a `StrEnum` member compares equal to them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum


class Inventory(StrEnum):
    """One of the three inventories (a TMF definition: its API, resource type and table)."""

    SERVICES = "services"
    CARRIERS = "carriers"
    RESOURCES = "resources"


class RunMode(StrEnum):
    BUILDUP = "buildup"
    UPDATE = "update"
    CLEANUP = "cleanup"


class RunState(StrEnum):
    """The state of a run or of one type in it. `held` (its cleanup waits for a confirmation) is
    a type's only; `interrupted` is what a reader sees of a run whose process is gone."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # gaps: some pages failed, so no cleanup
    HELD = "held"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class ChangeKind(StrEnum):
    """What a revision records."""

    CREATED = "created"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass
class Counters:
    """What one run did to one type (SPEC §4)."""

    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    failed: int = 0

    def add(self, other: Counters | FrozenCounters) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def frozen(self) -> FrozenCounters:
        return FrozenCounters(**self.as_dict())


@dataclass(frozen=True)
class FrozenCounters:
    """The same counters, immutable: as events carry them to another thread."""

    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
