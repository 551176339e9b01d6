"""The command palette (ctrl+p): every key the screen answers where it was opened, named as in the
footer and the help (README: "All of them are in the footer and the command palette")."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen


def palette_commands(
    app: App[Any], screen: Screen[Any], textual_commands: Iterable[SystemCommand]
) -> Iterable[SystemCommand]:
    """The keys `screen` answers now (the app's, the screen's, the focused widget's), each named
    by its description, then Textual's own commands whose names are not taken (our Quit asks
    first while a sync runs)."""
    names: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.action == "command_palette" or not binding.description:
            continue  # (ctrl+p: the palette is open)
        if not active.enabled or binding.description in names:
            continue
        names.add(binding.description)
        shown = binding.key_display or app.get_key_display(binding) or key
        yield SystemCommand(
            binding.description,
            f"{binding.tooltip or binding.description} ({shown})",
            partial(app.run_action, binding.action, active.node),
        )
    for command in textual_commands:
        if command.title not in names:
            yield command
