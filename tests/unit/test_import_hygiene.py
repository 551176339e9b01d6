"""The core never imports textual: each core module is imported in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import tui_inventory

CORE = sorted(
    m.name
    for m in pkgutil.walk_packages(tui_inventory.__path__, "tui_inventory.")
    if not m.name.startswith("tui_inventory.app") and m.name not in ("tui_inventory.__main__",)
)


def test_core_modules_are_found() -> None:
    for expected in (
        "tui_inventory.tmf.client",
        "tui_inventory.tmf.mapping",
        "tui_inventory.store.repo",
        "tui_inventory.sync.engine",
        "tui_inventory.secrets",
        "tui_inventory.config",
        "tui_inventory.simulator",
        "tui_inventory.cli",
    ):
        assert expected in CORE


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_load_textual(module: str) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (
        f"{module} loads textual: {done.stdout.strip()} {done.stderr[-500:]}"
    )
