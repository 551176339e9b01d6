"""A console started on a settings file with a bad value: Settings first, no sync until mended."""

from __future__ import annotations

from typing import Any

from tui_inventory.config import Config, Key


def mend_first(app: Any) -> bool:
    """While the settings hold a refused value, take the operator to Settings with it shown (once)
    and say so; True then, so that the first run waits until Settings has saved a mended file."""
    bad = app.config.bad_values()
    if not bad:
        return False
    app.action_settings()  # its fields show each refused value with the reason
    app.notify(
        f"The settings file has bad values ({', '.join(bad)}): mend them here and save; no sync "
        "runs until then.",
        title="Settings",
        severity="error",
        timeout=15,
    )
    return True


def shown_value(config: Config, key: Key) -> Any:
    """What a Settings field starts with: the refused value as the file has it, so the operator
    sees what to mend; a list of choices cannot hold it, so that field starts at the default."""
    problem = config.problems.get(key.name)
    if problem is None:
        return config.get(key.name)
    return key.default if key.kind is bool or key.choices else problem.raw


def show_refused(screen: Any) -> None:
    """Next to each field of a refused value, why it was refused (the field's own error line)."""
    for name, problem in screen.config.problems.items():
        for field in screen.query("#key-" + name.replace(".", "-")):  # (unknown keys: no field)
            field.show_error(f"{problem.message} (in the file)")
