"""What a run did: a `TypeResult` per inventory and the `RunResult` of the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_inventory.domain import Counters


@dataclass
class TypeResult:
    kind: str
    state: str = "running"  # succeeded | partial | held | failed | cancelled
    reason: str = ""
    counters: Counters = field(default_factory=Counters)
    pages: int = 0
    gaps: int = 0


@dataclass
class RunResult:
    run_id: int
    mode: str
    state: str
    reason: str
    types: dict[str, TypeResult]

    @property
    def ok(self) -> bool:
        return self.state == "succeeded"


def _merge(total: Counters, page: Counters) -> None:
    total.created += page.created
    total.updated += page.updated
    total.unchanged += page.unchanged


def _overall(results: dict[str, TypeResult]) -> tuple[str, str]:
    states = [r.state for r in results.values()]
    problems = [
        f"{r.kind}: {r.reason}" for r in results.values() if r.state != "succeeded" and r.reason
    ]
    reason = "; ".join(problems)
    for state in ("cancelled", "failed"):
        if state in states:
            return state, reason
    if any(s in ("partial", "held") for s in states):
        return "partial", reason
    return "succeeded", reason
