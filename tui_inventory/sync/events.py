"""Small immutable events the engine emits; the console turns them into Messages, the CLI into lines.

Every event is a frozen dataclass of plain values, safe to hand to another thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_inventory.domain import Counters, FrozenCounters  # (importable from here too)


@dataclass(frozen=True)
class Event:
    run_id: int


@dataclass(frozen=True)
class RunStarted(Event):
    mode: str  # buildup | update
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class TypeStarted(Event):
    kind: str
    mode: str
    first_page: int  # >1 when a buildup resumes


@dataclass(frozen=True)
class PageStored(Event):
    kind: str
    page: int
    items: int  # entities on this page
    pages_done: int
    counters: FrozenCounters  # cumulative for this type in this run
    total: int | None  # upstream total when known (X-Total-Count)
    elapsed: float  # seconds since the type started


@dataclass(frozen=True)
class GapRecorded(Event):
    kind: str
    page: int
    reason: str


@dataclass(frozen=True)
class Logged(Event):
    """A sync event for the log pane: skips, duplicates, retries, gaps, held-back cleanups."""

    level: str  # info | warning | error
    kind: str | None
    message: str
    log_id: int | None = None  # its row in the store's sync log (None: it could not be written)
    # A type's or the run's outcome, said again by the TypeFinished/RunFinished that follows:
    # a printer that prints those skips this one.
    outcome: bool = False


@dataclass(frozen=True)
class CleanupHeld(Event):
    kind: str
    would_remove: int
    total: int


@dataclass(frozen=True)
class CleanupDone(Event):
    kind: str
    removed: int


@dataclass(frozen=True)
class TypeFinished(Event):
    kind: str
    state: str  # succeeded | failed | cancelled | partial (gaps)
    reason: str
    counters: FrozenCounters = field(default_factory=FrozenCounters)


@dataclass(frozen=True)
class RunFinished(Event):
    mode: str
    state: str  # succeeded | failed | cancelled | partial
    reason: str


# Every event the engine emits. A dispatcher matches on it and ends with `assert_never`, so an
# event added here breaks each one that does not handle it, at type-check time.
EngineEvent = (
    RunStarted
    | TypeStarted
    | PageStored
    | GapRecorded
    | Logged
    | CleanupHeld
    | CleanupDone
    | TypeFinished
    | RunFinished
)


def result_line(kind: str, state: str, reason: str, counters: Counters | FrozenCounters) -> str:
    """An inventory's result in one line, as the sync log, `sync --once` and the demo say it:
    `services: succeeded — received 120, created 3, updated 1, …, failed 0`."""
    why = f" ({reason})" if reason else ""
    counts = ", ".join(f"{name} {value}" for name, value in counters.as_dict().items())
    return f"{kind}: {state}{why} — {counts}"
