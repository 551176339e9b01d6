"""Settings that point the product at a simulator: the one `sim_config` of the tests. Import it
with `from sim_fixtures import sim_config` (`app_fixtures` and `conftest` hand it on)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_inventory.config import Config


def sim_config(
    sim: Any, path: Path | None = None, dialect: str = "ses", *, version: int = 4, **settings: Any
) -> Config:
    """`sim`'s URLs, users and dialect, then `settings` (dotted keys); saved to
    `path`/config.toml when the console saves, if `path` is given."""
    cfg = Config(path=path / "config.toml") if path is not None else Config()
    for name, value in {**sim.settings(dialect=dialect, version=version), **settings}.items():
        cfg.set(name, value)
    return cfg
