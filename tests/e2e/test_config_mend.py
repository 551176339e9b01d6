"""A settings file with a bad value never locks the operator out: `config show` marks it,
`config set` mends it (and sets other keys meanwhile), the console opens on Settings with the
problem shown; a password key is pointed to `set-password`, which checks the keyring first."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from app_fixtures import SMALL, screen_text, wait_for
from textual.widgets import Input, Static

from tui_inventory.app.main import InventoryApp
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.config import load_config

CLI = [sys.executable, "-m", "tui_inventory"]


def config(
    tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--config", str(tmp_path / "c.toml"), "config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text('[sync]\nupdate_frequency = 5\nrecords_per_page = "many"\n')
    return path


def test_config_show_marks_the_bad_values_and_still_shows_the_rest(tmp_path: Path) -> None:
    bad_file(tmp_path)
    done = config(tmp_path, "show")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    frequency = next(line for line in lines if line.startswith("sync.update_frequency"))
    assert frequency.startswith("sync.update_frequency = 5  # BAD: ")
    assert "between 3600 and 432000" in frequency
    page = next(line for line in lines if line.startswith("sync.records_per_page"))
    assert page.startswith('sync.records_per_page = "many"  # BAD: ')
    assert "sync.page_concurrency = 4" in lines
    assert "Traceback" not in done.stderr
    assert "config set KEY VALUE" in done.stderr


def test_config_set_mends_a_bad_value_and_sets_others_meanwhile(tmp_path: Path) -> None:
    path = bad_file(tmp_path)
    other = config(tmp_path, "set", "sync.page_concurrency", "2")
    assert other.returncode == 0, other.stderr
    saved = tomllib.loads(path.read_text())
    assert saved["sync"]["page_concurrency"] == 2
    assert saved["sync"]["update_frequency"] == 5  # kept as it was until mended: nothing lost
    assert "sync.update_frequency" in other.stderr
    assert config(tmp_path, "set", "sync.update_frequency", "7200").returncode == 0
    assert config(tmp_path, "set", "sync.records_per_page", "75").returncode == 0
    saved = tomllib.loads(path.read_text())
    assert saved["sync"] == {
        "update_frequency": 7200,
        "records_per_page": 75,
        "page_concurrency": 2,
    }  # only what was set: no default written out (dialect, max_delete_fraction)
    assert load_config(path).sync.update_frequency == 7200  # strict load accepts it now
    shown = config(tmp_path, "show")
    assert "BAD" not in shown.stdout and shown.stderr == ""


def test_a_password_key_is_pointed_to_set_password(tmp_path: Path) -> None:
    done = config(tmp_path, "set", "tmf638.password", "hunter2")
    assert done.returncode != 0
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "tui-inventory config set-password tmf638" in err
    assert "known settings" not in err and "invalid choice" not in err
    assert "hunter2" not in err
    assert not (tmp_path / "c.toml").exists()


def test_set_password_says_no_keyring_before_asking(tmp_path: Path) -> None:
    # No keyring backend; stdin holds a password that must not even be read.
    done = subprocess.run(
        [*CLI, "config", "set-password", "tmf639"],
        capture_output=True,
        text=True,
        timeout=60,
        input="",
        env={
            **os.environ,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        },
    )
    assert done.returncode != 0
    assert done.stderr.startswith("tui-inventory: no usable keyring was found")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "TUI_INVENTORY_TMF639_PASSWORD" in done.stderr
    assert "empty password" not in done.stderr  # it did not ask (and read nothing) first


async def test_the_console_opens_on_settings_with_the_bad_value_shown(
    make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    data: dict[str, dict[str, Any]] = {}
    for name, value in sim.settings("ses").items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    data["sync"]["update_frequency"] = 5
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(data))
    cfg = load_config(path, lenient=True)
    app = InventoryApp(cfg, str(tmp_path / "inventory.db"), passwords=sim.passwords.get)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 10, "Settings")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        field = "#key-sync-update_frequency"
        await wait_for(pilot, lambda: bool(screen.query(f"{field} .error")), 10, "the field")
        await wait_for(
            pilot,
            lambda: (
                "between 3600 and 432000"
                in str(screen.query_one(f"{field} .error", Static).render())
            ),
            10,
            "the problem next to the field",
        )
        assert screen.query_one(f"{field} Input", Input).value == "5"
        assert any("update_frequency" in n.message for n in app._notifications)
        await pilot.pause(0.3)
        assert not app.sync.running  # no sync with a setting the operator has not mended
        box = screen.query_one(f"{field} Input", Input)
        box.focus()
        box.value = ""
        await pilot.press(*"7200")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.config.sync.update_frequency == 7200, 10, "the save")
        assert tomllib.loads(path.read_text())["sync"]["update_frequency"] == 7200
        # Mended: the first run that waited for it starts (a buildup of the empty store).
        await wait_for(pilot, lambda: bool(app.store.runs(1)), 20, "a buildup")


async def test_settings_opens_with_the_bad_field_focused_and_in_view(
    make_sim: Any, tmp_path: Path
) -> None:
    """At 80×24 the bad field is far below the first one: it has the focus and shows on screen
    with its reason; the toast says only what to do, and is gone in a few seconds."""
    sim = make_sim(**SMALL)
    data: dict[str, dict[str, Any]] = {}
    for name, value in sim.settings("ses").items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    data["sync"]["max_delete_fraction"] = "lots"
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(data))
    cfg = load_config(path, lenient=True)
    app = InventoryApp(cfg, str(tmp_path / "inventory.db"), passwords=sim.passwords.get)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 10, "Settings")
        field = "#key-sync-max_delete_fraction Input"
        await wait_for(pilot, lambda: app.screen.query(field), 10, "the field")
        box = app.screen.query_one(field, Input)
        await wait_for(pilot, lambda: app.focused is box, 10, "the bad field to have the focus")
        await pilot.pause(0.2)
        shown = " ".join(screen_text(app).split())
        assert "must be a number, not 'lots' (in the file)" in shown, screen_text(app)
        assert box.region.y < 24 and box.region.height > 0
        toasts = [n for n in app._notifications if "max_delete_fraction" in n.message]
        assert len(toasts) == 1 and toasts[0].timeout <= 5, toasts
