"""The help screen: the keys, and where the console keeps its log, settings and data."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_inventory import logs
from tui_inventory.config import default_config_path
from tui_inventory.store.db import describe

KEYS = (
    ("b", "buildup: page through every inventory, then remove what upstream no longer has"),
    ("u", "update now: fetch what changed upstream in the last 24 hours"),
    ("c", "cancel the running sync (between pages; no cleanup follows)"),
    ("x", "review a held-back cleanup (shown when one waits)"),
    ("/", "search the current table as you type"),
    ("tab / shift+tab", "next / previous tab"),
    ("j k g G", "down, up, first, last row in tables (as in less)"),
    ("enter", "open the selected instance"),
    ("s", "settings: addresses, users, passwords, sync frequency"),
    ("?", "this help"),
    ("esc", "back"),
    ("ctrl+p", "command palette"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen Static { height: auto; }
    """

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("question_mark", "close", "Close help", show=False),
    ]

    def compose(self) -> ComposeResult:
        app = self.app
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for key, meaning in KEYS:
            keys.add_row(key, meaning)
        log_file = logs.log_path()
        config = getattr(app, "config", None)
        config_path = (config.path if config is not None else None) or default_config_path()
        places = Table.grid(padding=(0, 2))
        places.add_column(style="bold", no_wrap=True)
        places.add_column(overflow="fold")
        places.add_row("Log file", str(log_file) if log_file else "not logging to a file")
        places.add_row("Settings", str(config_path))
        places.add_row("Database", describe(getattr(app, "db_url", "")))
        with VerticalScroll():
            yield Static(Text("tui-inventory — keys", style="bold"))
            yield Static(keys)
            yield Static(Text(""))
            yield Static(places)
            yield Static(
                Text(
                    "\nWhile another process (the sync daemon, another console) syncs this "
                    "database, or when started with --readonly, the console is read-only: it "
                    "shows that sync's progress live, and b, u, c, x and saving settings are off."
                )
            )
            yield Static(Text("\nesc closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
