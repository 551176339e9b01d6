"""The help screen: the keys, and where the console keeps its log, settings and data.

The keys are read from the bindings of the app and of each screen and widget, with the same key
names and words as the footers show (and the bindings' tooltips as explanations), so the help
lists every key a footer shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets._select import SelectOverlay

from tui_inventory import logs
from tui_inventory.config import default_config_path
from tui_inventory.store.db import describe

from .changes import ChangesView, FeedTable
from .instance import InstanceScreen
from .inventory import InventoryView, SearchInput
from .inventory_table import InventoryTable
from .pager import PAGE_KEYS, FindBar, PageScroll
from .settings import SettingsScreen
from .verify import ReportTable

KEY_CELLS = 16  # the keys' column, the same in every section


def key_sections(
    app: App[Any], screen_keys: Sequence[BindingType] = ()
) -> list[tuple[str, list[Binding]]]:
    """The keys of the console by where they work, read from the bindings themselves (the ones
    the footers show, and those with a description they do not show): help and footer cannot
    disagree. `screen_keys`: the main screen's (the tabs)."""
    palette = Binding(
        app.COMMAND_PALETTE_BINDING,
        "command_palette",
        "palette",
        key_display=app.COMMAND_PALETTE_DISPLAY,
        tooltip="every command, found by typing part of its name",
    )
    return [
        ("Everywhere", [*_described(app.BINDINGS), *_described(screen_keys), palette]),
        (
            "In tables (the inventories and Changes), as in less",
            _described(InventoryTable.BINDINGS, FeedTable.BINDINGS),
        ),
        ("Inventory tables", _described(InventoryView.BINDINGS, SearchInput.BINDINGS)),
        ("Changes", _described(ChangesView.BINDINGS)),
        ("A filter's list (f, F)", _described(SelectOverlay.BINDINGS, OptionList.BINDINGS)),
        ("Instance view", _described(InstanceScreen.BINDINGS)),
        ("Instance view and help: read as in less", _described(PAGE_KEYS)),
        ("Verify report (v)", _described(ReportTable.BINDINGS)),
        ("Settings", _described(SettingsScreen.BINDINGS)),
    ]


def _described(*lists: Iterable[BindingType]) -> list[Binding]:
    """The bindings of `lists` that have a description (one per key)."""
    return [b for bindings in lists for b in Binding.make_bindings(bindings) if b.description]


def key_rows(app: App[Any], bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, meaning) per action: the keys as the footer shows them, the meaning its word and
    the binding's tooltip; a row that another binding already gave is given once."""
    rows: dict[tuple[str, str], list[str]] = {}
    for binding in bindings:
        meaning = binding.description
        if binding.tooltip:
            meaning += f" — {binding.tooltip}"
        keys = rows.setdefault((binding.action.removeprefix("app."), meaning), [])
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    out: list[tuple[str, str]] = []
    for (_, meaning), keys in rows.items():
        if (row := (" ".join(keys), meaning)) not in out:
            out.append(row)
    return out


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > PageScroll {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen Static { height: auto; }
    HelpScreen FindBar { dock: bottom; }
    """

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("question_mark", "close", "Close help", show=False),
    ]

    def __init__(self, screen_keys: Sequence[BindingType] = ()) -> None:
        """`screen_keys`: the main screen's bindings (see `key_sections`)."""
        super().__init__()
        self.screen_keys = screen_keys

    def compose(self) -> ComposeResult:
        app = self.app
        sections = []
        for title, bindings in key_sections(app, self.screen_keys):
            keys = Table.grid(padding=(0, 2))
            keys.add_column(style="bold", no_wrap=True, min_width=KEY_CELLS)
            keys.add_column()
            for key, meaning in key_rows(app, bindings):
                keys.add_row(Text(key), Text(meaning))
            sections.append((title, keys))
        log_file = logs.log_path()
        config = getattr(app, "config", None)
        config_path = (config.path if config is not None else None) or default_config_path()
        places = Table.grid(padding=(0, 2))
        places.add_column(style="bold", no_wrap=True)
        places.add_column(overflow="fold")
        places.add_row("Log file", str(log_file) if log_file else "not logging to a file")
        places.add_row("Settings", str(config_path))
        places.add_row("Database", describe(getattr(app, "db_url", "")))
        with PageScroll():
            # Where things are first: a few lines, and what a terminal of 24 rows shows whole.
            yield Static(Text("tui-inventory", style="bold"))
            yield Static(places)
            yield Static(Text("\nKeys (esc closes this help)", style="bold"))
            for title, keys in sections:
                yield Static(Text(f"\n{title}", style="underline"))
                yield Static(keys)
            yield Static(
                Text(
                    "\nWhile another process (the sync daemon, another console) syncs this "
                    "database, or when started with --readonly, the console is read-only: it "
                    "shows that sync's progress live, and b, u, c, x and saving settings are off."
                )
            )
            yield Static(Text("\nesc closes this help.", style="dim"))
        yield FindBar()

    def action_close(self) -> None:
        self.dismiss(None)
