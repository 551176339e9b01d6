"""The console application: PLACEHOLDER, to be replaced by the console work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from tui_inventory.config import Config
from tui_inventory.store.repo import Store


class InventoryApp(App[int]):
    def __init__(
        self,
        config: Config,
        db_url: str,
        *,
        passwords: Callable[[str], str | None],
        demo: Any = None,
        readonly: bool = False,
    ) -> None:
        super().__init__()
        self.config = config
        self.db_url = db_url
        self.passwords = passwords
        self.demo = demo
        self.readonly = readonly
        self.store = Store(db_url)


def run_console(
    config: Config,
    db_url: str,
    *,
    passwords: Callable[[str], str | None],
    demo: Any = None,
    readonly: bool = False,
) -> int:
    app = InventoryApp(config, db_url, passwords=passwords, demo=demo, readonly=readonly)
    return app.run() or 0
