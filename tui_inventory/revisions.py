"""A revision's changed fields as lines a person reads, the same in the console and the CLI:
`Service Characteristics › CIR_Mbps: 2 → 1`, a changed object by its changed members."""

from __future__ import annotations

from typing import Any

from tui_inventory.text import plain


def change_lines(changes: dict[str, list[Any]]) -> list[tuple[str, Any, Any]]:
    """(field, old, new) per change; a changed object (characteristics) by its changed members,
    also one that appears or goes (its members then go from or to nothing)."""
    out: list[tuple[str, Any, Any]] = []
    for name in sorted(changes):
        pair = changes[name]
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        if isinstance(old, dict | None) and isinstance(new, dict | None) and (old or new):
            before, after = old or {}, new or {}
            for k in sorted(before.keys() | after.keys(), key=str):
                if before.get(k) != after.get(k):
                    out.append((f"{name} › {k}", before.get(k), after.get(k)))
        else:
            out.append((name, old, new))
    return out


def change_text(name: str, old: Any, new: Any, *, limit: int = 300) -> str:
    """One changed field, literal: `name: old → new` (nothing shows as empty)."""
    return f"{plain(name, limit=200)}: {plain(old, limit=limit)} → {plain(new, limit=limit)}"
