"""A console started on a settings file with a bad value: Settings first, no sync until mended."""

from __future__ import annotations

from typing import Any

from tui_inventory.config import Config, Key


def mend_first(app: Any) -> bool:
    """While the settings hold a refused value, take the operator to Settings with it shown (once)
    and say so; True then, so that the first run waits until Settings has saved a mended file.

    Called as the console starts (Settings opens at once, not after the store's first read) and
    again before the first run. The field says what is wrong; the toast only what to do, briefly,
    so it does not sit over the form."""
    bad = app.config.bad_values()
    if not bad:
        return False
    if not getattr(app, "_mend_shown", False):
        app._mend_shown = True
        app.action_settings()  # its fields show each refused value with the reason
        app.notify(
            f"Mend the bad value ({', '.join(bad)}) marked here and save: no sync runs until then.",
            title="Settings",
            severity="error",
            timeout=5,
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
    """Next to each field of a refused value, why it was refused (the field's own error line);
    the first such field (in the screen's order) has the focus and is scrolled into view."""
    refused = []
    for name, problem in screen.config.problems.items():
        for field in screen.query("#key-" + name.replace(".", "-")):  # (unknown keys: no field)
            field.show_error(f"{problem.message} (in the file)")
            refused.append(field)
    if refused:
        first = min(refused, key=lambda field: screen.query("SettingField").nodes.index(field))

        def focus_it() -> None:
            first.query_one("Input, Select").focus()
            first.scroll_visible(animate=False, top=False)

        screen.call_after_refresh(focus_it)
