"""The keyring as the console meets it ([hardening] issue): no backend at all (no D-Bus), the null
backend configured, a backend that hangs and a real Secret Service that is locked.

Whatever the keyring does, the console answers its keys while a keyring call is pending, says in
plain words what is wrong (Settings, the dashboard), and never claims a password was saved when it
was not. The passwords come from `secrets.get_password`, as in `tui-inventory`; the core side
(timeouts, refusals, the CLI) is in tests/hardening/test_keyring.py.
"""

from __future__ import annotations

import functools
import gc
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from app_fixtures import SMALL, make_app, runs_ended, wait_for
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring_backends import TestBackend
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tui_inventory import secrets
from tui_inventory.app import settings as settings_screen
from tui_inventory.app.confirm import ConfirmDialog
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.settings import SettingsScreen

if TYPE_CHECKING:
    from keyring_fixtures import SecretService

UseKeyring = Callable[[KeyringBackend], None]
PASSWORD = "pw-not-saved-42"


class Hanging(TestBackend):
    """A keyring that never answers (a locked collection waiting for a prompt nobody sees)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0  # calls that entered the keyring (and hang there)

    def _hang(self) -> None:
        self.calls += 1
        self.release.wait()

    def get_password(self, service: str, username: str) -> str | None:
        self._hang()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._hang()

    def delete_password(self, service: str, username: str) -> None:
        self._hang()


@pytest.fixture
def hanging_keyring(use_keyring: UseKeyring, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hanging]:
    """The keyring hangs; the console gives up on each call after 3 s (5 s in the product)."""
    monkeypatch.setattr(settings_screen, "KEYRING_TIMEOUT", 3.0)
    backend = Hanging()
    use_keyring(backend)
    yield backend
    backend.release.set()
    for thread in list(secrets._stuck):  # the calls given up on end now
        thread.join(timeout=5)


def text_of(screen: SettingsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def messages(app: InventoryApp) -> list[str]:
    return [n.message for n in app._notifications]


async def open_settings(pilot: Pilot[Any], app: InventoryApp) -> SettingsScreen:
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), 5, "the settings")
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


async def answered(pilot: Pilot[Any], screen: SettingsScreen, text: str) -> float:
    """Type `text` into the tmf638 user name; the seconds until the field shows it."""
    box = screen.query_one("#key-tmf638-username Input", Input)
    box.focus()
    box.value = ""
    started = time.monotonic()
    await pilot.press(*text)
    await wait_for(pilot, lambda: box.value == text, 5, "the keys to be answered")
    return time.monotonic() - started


async def save_a_password(pilot: Pilot[Any], screen: SettingsScreen) -> None:
    screen.query_one("#password-tmf638 Input", Input).focus()
    await pilot.press(*PASSWORD, "ctrl+s")


async def leave_discarding_the_password(pilot: Pilot[Any], app: InventoryApp) -> None:
    """esc: the password was not saved, so leaving asks first; Discard."""
    await pilot.press("escape")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
    await pilot.pause()
    assert "tmf638.password" in str(app.screen.query_one(".question", Static).render())
    await pilot.click("#discard")
    await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "the main screen")


def assert_never_claimed_saved(app: InventoryApp, screen: SettingsScreen, tmp_path: Path) -> None:
    result = text_of(screen, "#password-tmf638 .error")
    assert "saved in the keyring" not in result
    assert not any("saved in the keyring" in m for m in messages(app))
    assert any("the password for TMF638 was NOT saved" in m for m in messages(app))
    assert PASSWORD not in (tmp_path / "config.toml").read_text()
    assert screen.query_one("#password-tmf638 Input", Input).value == PASSWORD  # kept to retry


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (fail.Keyring(), "no usable keyring was found: no Secret Service answers on D-Bus"),
        (null.Keyring(), "the keyring is switched off"),
    ],
    ids=["no-dbus", "null-backend"],
)
async def test_without_a_usable_keyring_the_console_says_why_and_never_claims_a_save(
    backend: KeyringBackend, reason: str, use_keyring: UseKeyring, make_sim: Any, tmp_path: Path
) -> None:
    use_keyring(backend)
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, passwords=secrets.get_password, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 40), message_hook=ended) as pilot:
        screen = await open_settings(pilot, app)
        await wait_for(pilot, lambda: "Checking" not in text_of(screen, "#keyring"), 10)
        explanation = text_of(screen, "#keyring")
        assert explanation.startswith(f"Passwords cannot be saved here: {reason}")
        assert "TUI_INVENTORY_TMF638_PASSWORD" in explanation  # the choices are named
        box = screen.query_one("#password-tmf638 Input", Input)
        assert box.placeholder == "the keyring cannot be read — see above"
        await save_a_password(pilot, screen)
        await wait_for(pilot, lambda: text_of(screen, "#password-tmf638 .error"), 10, "the save")
        assert reason in text_of(screen, "#password-tmf638 .error")
        # (the notice is a message of its own: it may be handled just after the field's text)
        await wait_for(pilot, lambda: any("NOT saved" in m for m in messages(app)), 10, "notice")
        assert_never_claimed_saved(app, screen, tmp_path)

        # A sync needs the passwords: each type fails with the keyring's sentence, on screen.
        await leave_discarding_the_password(pilot, app)
        await pilot.press("b")
        await ended.wait(pilot, 1, 30, "the buildup to end")
        await wait_for(pilot, lambda: "failed" in panel_text(app, "services", ".state"), 10)
        assert reason in panel_text(app, "services", ".detail")
        assert reason in panel_text(app, "resources", ".detail")
        assert app.store.counts() == {"services": 0, "carriers": 0, "resources": 0}


def panel_text(app: InventoryApp, kind: str, selector: str) -> str:
    return str(app.dashboard.panel(kind).query_one(selector, Static).render())


async def test_a_hanging_keyring_never_freezes_the_console_nor_claims_a_save(
    hanging_keyring: Hanging, make_sim: Any, tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    passwords = functools.partial(secrets.get_password, timeout=1.0)
    app = make_app(sim, tmp_path, passwords=passwords, autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 40), message_hook=ended) as pilot:
        screen = await open_settings(pilot, app)
        await wait_for(pilot, lambda: hanging_keyring.calls == 1, 5, "the keyring check")
        # The check hangs in the keyring; the screen takes keys all the same. (Pending is read
        # before typing: on a loaded machine the typing itself may outlast the 3 s bound.)
        assert text_of(screen, "#keyring") == "Checking the keyring…"
        assert await answered(pilot, screen, "operator") < 2.0
        await wait_for(pilot, lambda: "Checking" not in text_of(screen, "#keyring"), 10)
        assert text_of(screen, "#keyring").startswith(
            "Passwords cannot be saved here: the keyring did not answer within 3 s"
        )

        await save_a_password(pilot, screen)
        await wait_for(pilot, lambda: hanging_keyring.calls == 2, 5, "the save to reach it")
        assert await answered(pilot, screen, "someone") < 2.0  # answered while the save hangs
        assert not text_of(screen, "#password-tmf638 .error")  # nothing claimed meanwhile
        await wait_for(pilot, lambda: text_of(screen, "#password-tmf638 .error"), 10, "the save")
        assert "did not answer within 3 s" in text_of(screen, "#password-tmf638 .error")
        # (the notice is a message of its own: it may be handled just after the field's text)
        await wait_for(pilot, lambda: any("NOT saved" in m for m in messages(app)), 10, "notice")
        assert_never_claimed_saved(app, screen, tmp_path)

        # A buildup asks the keyring for the passwords: the tabs still change while it waits,
        # and it ends promptly, each type failed with the keyring's sentence.
        await leave_discarding_the_password(pilot, app)
        await pilot.press("b")
        await wait_for(pilot, lambda: hanging_keyring.calls >= 3, 5, "the sync to ask")
        started = time.monotonic()
        await pilot.press("tab")
        await wait_for(pilot, lambda: app.main_screen.tabs.active == "tab-services", 5)
        assert time.monotonic() - started < 2.0
        app.main_screen.show_tab("tab-dashboard")
        await ended.wait(pilot, 1, 15, "the buildup to give up")
        await wait_for(pilot, lambda: "failed" in panel_text(app, "services", ".state"), 10)
        assert "the keyring" in panel_text(app, "services", ".detail")
        assert "hang" in panel_text(app, "services", ".detail") or "did not answer" in (
            panel_text(app, "services", ".detail")
        )


# The keyring library leaves its D-Bus connections to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
async def test_a_locked_secret_service_is_named_and_nothing_is_saved(
    private_secret_service: SecretService, make_sim: Any, tmp_path: Path
) -> None:
    import secretstorage

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.lock()
        before = [item.item_path for item in collection.get_all_items()]
    sim = make_sim(**SMALL)
    app = make_app(sim, tmp_path, passwords=secrets.get_password, autostart=False)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot, app)
        await wait_for(pilot, lambda: "Checking" not in text_of(screen, "#keyring"), 10)
        assert text_of(screen, "#keyring").startswith(
            "Passwords cannot be saved here: the keyring (SecretService) is locked"
        )
        await save_a_password(pilot, screen)
        await wait_for(pilot, lambda: text_of(screen, "#password-tmf638 .error"), 10, "the save")
        assert "is locked" in text_of(screen, "#password-tmf638 .error")
        # (the notice is a message of its own: it may be handled just after the field's text)
        await wait_for(pilot, lambda: any("NOT saved" in m for m in messages(app)), 10, "notice")
        assert_never_claimed_saved(app, screen, tmp_path)

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        assert collection.is_locked()
        assert [item.item_path for item in collection.get_all_items()] == before  # no new entry
    with warnings.catch_warnings():  # (see above) collected now, while they are ignored
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
