"""The Settings screen driven by Pilot: passwords into a real Secret Service, validation, the
connection test against the simulator on loopback. A keyring that is missing, switched off, hangs or
is locked: tests/console/test_app_keyring.py."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app, screen_text, wait_for
from keyring_fixtures import SecretService
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from tui_inventory import secrets
from tui_inventory.app.confirm import ConfirmDialog
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.settings import SettingsScreen
from tui_inventory.simulator import Simulator


async def open_settings(pilot: Pilot[Any], app: InventoryApp) -> SettingsScreen:
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 5, "the settings")
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    keyring = screen.query_one("#keyring", Static)
    await wait_for(pilot, lambda: "Checking" not in str(keyring.render()), 15, "keyring status")
    return screen


async def type_into(
    pilot: Pilot[Any], screen: SettingsScreen, selector: str, text: str, *, keys: bool = True
) -> None:
    """Type `text` key by key (or, for long values, paste it at once) into an empty field."""
    box = screen.query_one(selector, Input)
    box.focus()
    box.value = ""
    if keys:
        await pilot.press(*text)
    else:
        box.insert_text_at_cursor(text)
    await pilot.pause()


def static_text(screen: SettingsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def run_test_connection(pilot: Pilot[Any], screen: SettingsScreen, api: str) -> str:
    screen.query_one(f"#test-{api}", Button).press()
    selector = f"#test-result-{api}"
    await wait_for(
        pilot,
        lambda: static_text(screen, selector).startswith(("✓", "✗")),
        30,
        "the connection test",
    )
    return static_text(screen, selector)


async def test_settings_save_a_password_to_the_real_keyring(
    secret_service: SecretService, make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    password = sim.passwords["tmf638"]
    app = make_app(sim, tmp_path, autostart=False, passwords=secrets.get_password)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        assert "kept in the keyring" in static_text(screen, "#keyring")
        await type_into(pilot, screen, "#password-tmf638 Input", password)
        assert password not in screen_text(app)  # typed masked
        await pilot.press("ctrl+s")
        result = "#password-tmf638 .error"
        await wait_for(pilot, lambda: "saved" in static_text(screen, result), 15, "the save")
        assert "password for TMF638 saved in the keyring" in static_text(screen, result)
        assert secrets.get_password("tmf638") == password  # really in the Secret Service
        assert screen.query_one("#password-tmf638 Input", Input).value == ""  # never shown back
        config_file = tmp_path / "config.toml"
        assert password not in config_file.read_text()
        assert tomllib.loads(config_file.read_text())["tmf638"]["username"] == "tmf638-demo"
        # The connection test now finds the password in the keyring.
        verdict = await run_test_connection(pilot, screen, "tmf638")
        assert verdict.startswith("✓ Success"), verdict


async def test_a_frequency_outside_the_range_is_refused(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        await type_into(pilot, screen, "#key-sync-update_frequency Input", "60")
        message = "sync.update_frequency must be between 3600 and 432000 seconds, not 60"
        assert message in static_text(screen, "#key-sync-update_frequency .error")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not (tmp_path / "config.toml").exists()
        assert app.config.sync.update_frequency == 3600
        assert any("not valid" in n.message for n in app._notifications)
        assert "432000 seconds, not 60" in screen_text(app)  # next to the field, on screen


async def test_a_valid_frequency_is_saved_and_used(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        await type_into(pilot, screen, "#key-sync-update_frequency Input", "7200")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.config.sync.update_frequency == 7200, 10, "the save")
        saved = tomllib.loads((tmp_path / "config.toml").read_text())
        assert saved["sync"]["update_frequency"] == 7200


async def test_the_connection_test_reports_a_wrong_password_as_an_authentication_failure(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        await type_into(pilot, screen, "#password-tmf639 Input", "not-the-password", keys=False)
        verdict = await run_test_connection(pilot, screen, "tmf639")
        assert verdict.startswith("✗ Authentication failure"), verdict
        assert "not-the-password" not in screen_text(app)


async def test_the_connection_test_succeeds_with_the_right_password(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        verdict = await run_test_connection(pilot, screen, "tmf638")
        assert verdict.startswith("✓ Success: TMF638 answered"), verdict


async def test_the_connection_test_says_unreachable_and_tls_failure(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        await type_into(
            pilot, screen, "#key-tmf638-url Input", "http://127.0.0.1:9/ses", keys=False
        )
        verdict = await run_test_connection(pilot, screen, "tmf638")
        assert verdict.startswith("✗ Unreachable"), verdict
        # TLS spoken to a plain-HTTP port: the handshake fails.
        tls_url = sim.api_url("tmf639").replace("http://", "https://")
        await type_into(pilot, screen, "#key-tmf639-url Input", tls_url, keys=False)
        verdict = await run_test_connection(pilot, screen, "tmf639")
        assert verdict.startswith("✗ TLS failure"), verdict


async def test_a_readonly_console_does_not_save_settings(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, app)
        assert screen.query_one("#save", Button).disabled
        assert "read-only" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not (tmp_path / "config.toml").exists()
        # Leaving with an edit asks, but offers no Save it could not do.
        await type_into(pilot, screen, "#key-tmf638-username Input", "someone-else")
        dialog = await leaving_asks(pilot, app)
        assert "(--readonly): they" in screen_text(app)
        assert [b.id for b in dialog.query(Button)] == ["discard", "stay"]
        await pilot.click("#discard")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "the main screen")
        assert not (tmp_path / "config.toml").exists()


async def leaving_asks(pilot: Pilot[Any], app: InventoryApp) -> ConfirmDialog:
    """esc on the settings: the question about the unsaved changes."""
    await pilot.press("escape")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ConfirmDialog)
    return dialog


async def test_leaving_the_settings_with_unsaved_changes_asks_first(
    make_sim: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, autostart=False)
    config_file = tmp_path / "config.toml"
    async with app.run_test(size=(100, 40)) as pilot:
        # Nothing changed: esc leaves at once.
        await open_settings(pilot, app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "the main screen")

        # An edit, a connection test, esc: asked, and Cancel keeps the edit on screen.
        screen = await open_settings(pilot, app)
        await type_into(pilot, screen, "#key-tmf638-username Input", "someone-else")
        await run_test_connection(pilot, screen, "tmf638")
        await leaving_asks(pilot, app)
        text = screen_text(app)
        assert "Unsaved settings" in text and "Not saved: tmf638.username" in text
        assert all(f" {label} " in text for label in ("Save", "Discard", "Cancel"))
        await pilot.press("enter")  # the safe answer has the focus: Cancel
        await wait_for(pilot, lambda: app.screen is screen, 5, "the settings again")
        assert screen.query_one("#key-tmf638-username Input", Input).value == "someone-else"

        # Discard: left, nothing written, the settings in force unchanged.
        await leaving_asks(pilot, app)
        await pilot.click("#discard")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "the main screen")
        assert not config_file.exists() and app.config.tmf638.username == "tmf638-demo"

        # Save: written, in force, and left.
        screen = await open_settings(pilot, app)
        assert screen.query_one("#key-tmf638-username Input", Input).value == "tmf638-demo"
        await type_into(pilot, screen, "#key-tmf638-username Input", "someone-else")
        await leaving_asks(pilot, app)
        await pilot.click("#save")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 10, "the save and leave")
        assert tomllib.loads(config_file.read_text())["tmf638"]["username"] == "someone-else"
        assert app.config.tmf638.username == "someone-else"

        # Saved, then esc: nothing left unsaved, no question.
        await open_settings(pilot, app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "the main screen")
