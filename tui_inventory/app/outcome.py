"""How a run ended, in one sentence for a notification: each cause said once, with the
inventories it stopped ("services, carriers: no password …"), not once per inventory."""

from __future__ import annotations

from tui_inventory.sync.engine import RunResult
from tui_inventory.text import plain


def run_outcome(result: RunResult, limit: int = 300) -> str:
    """ "Buildup failed: services, carriers: <why>; resources: <why>"."""
    causes: dict[str, list[str]] = {}
    for kind, typed in result.types.items():
        if typed.state != "succeeded" and typed.reason:
            causes.setdefault(typed.reason, []).append(kind)
    if causes:
        reason = "; ".join(f"{', '.join(kinds)}: {why}" for why, kinds in causes.items())
    else:
        reason = result.reason
    said = f": {plain(reason, limit=limit)}" if reason else ""
    return f"{result.mode.capitalize()} {result.state}{said}"
