"""The Settings screen: every key of the configuration, the passwords, a connection test per API.

Values are validated by the configuration's own rules as they are typed (the error shows next to
the field) and again on save; the file is written with `save_config`. Passwords are typed masked,
saved to the keyring in a thread worker (a keyring that hangs cannot freeze the console) and never
shown back. The connection test fetches one small page with the values on the screen.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from tui_inventory import secrets
from tui_inventory.config import APIS, KEYS, Config, parse_value, save_config
from tui_inventory.errors import (
    AuthFailed,
    ConfigError,
    InventoryError,
    SecretsError,
    UpstreamError,
)
from tui_inventory.events.check import check_callback
from tui_inventory.sync.engine import PasswordSource
from tui_inventory.text import plain
from tui_inventory.tmf.client import RetryPolicy
from tui_inventory.tmf.factory import client_for

from .confirm import ConfirmDialog
from .footer import ConsoleFooter
from .mend import show_refused, shown_value
from .setting_fields import PasswordField, SettingField

SECTIONS = {
    "tmf638": "TMF638 — services and carriers",
    "tmf639": "TMF639 — resources",
    "http": "HTTP",
    "sync": "Sync",
    "ops": "Operations",
    "events": "Events — notifications beside polling",
}
TEST_PATH_KEY = {"tmf638": "tmf638.services_path", "tmf639": "tmf639.resources_path"}
KEYRING_TIMEOUT = 5.0  # seconds before a keyring call that does not answer is given up


def test_verdict(error: Exception) -> str:
    """One plain sentence for a failed connection test: which of the usual failures it was."""
    message = plain(str(error), limit=400)
    if isinstance(error, AuthFailed):
        return f"Authentication failure: {message}. Check the user name and the password."
    if isinstance(error, UpstreamError):
        if "TLS" in message or "certificate" in message:
            return f"TLS failure: {message}"
        if any(s in message for s in ("cannot reach", "did not answer", "connection failed")):
            return f"Unreachable: {message}"
        return f"Unexpected answer: {message}"
    if isinstance(error, SecretsError):
        return f"No password available: {message}"
    if isinstance(error, InventoryError):
        return message
    return f"The test failed: {type(error).__name__}: {message}"


@dataclass
class SaveOutcome:
    path: str
    config: Config
    passwords: dict[str, str]  # api -> the keyring's sentence, or the error
    failed: list[str]


class SettingsScreen(Screen[None]):
    """Edit the settings file and the keyring's passwords."""

    DEFAULT_CSS = """
    SettingsScreen > #settings-title { height: 1; padding: 0 1; background: $primary; }
    SettingsScreen VerticalScroll { height: 1fr; padding: 0 1; }
    SettingsScreen .section { text-style: bold; margin: 1 0 0 0; height: 1; color: $accent; }
    SettingsScreen #keyring, SettingsScreen #readonly-note { height: auto; margin-top: 1; }
    SettingsScreen #keyring.-unusable, SettingsScreen #readonly-note { color: $warning; }
    SettingsScreen .test { height: auto; margin-bottom: 1; }
    SettingsScreen .test Static { width: 1fr; height: auto; padding-left: 2; }
    SettingsScreen .test Static.-ok { color: $success; }
    SettingsScreen .test Static.-failed { color: $error; }
    SettingsScreen #actions { height: auto; padding: 0 1; background: $boost; }
    SettingsScreen #actions Button { margin-right: 2; }
    """

    AUTO_FOCUS = "SettingField Input"  # the first field: what is typed goes there
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="leave; asks first when changes are not saved"),
        Binding(
            "ctrl+s", "save", "Save", tooltip="the settings file, and passwords to the keyring"
        ),
        # (the app's q quit at once: an edit not yet saved was lost without a word)
        Binding("q", "quit_asking", "Quit", tooltip="quit; asks first when changes are not saved"),
    ]

    class Saved(Message):
        """The settings were saved: the app uses the new configuration from now on."""

        def __init__(self, config: Config) -> None:
            super().__init__()
            self.config = config

    class Tested(Message):
        def __init__(self, api: str, ok: bool, sentence: str) -> None:
            super().__init__()
            self.api, self.ok, self.sentence = api, ok, sentence

    class KeyringChecked(Message):
        def __init__(self, status: secrets.KeyringStatus, sources: dict[str, str]) -> None:
            super().__init__()
            self.status, self.sources = status, sources

    class SaveDone(Message):
        def __init__(self, outcome: SaveOutcome | None, error: str = "") -> None:
            super().__init__()
            self.outcome, self.error = outcome, error

    def __init__(
        self,
        config: Config,
        *,
        passwords: PasswordSource,
        read_only: str | None = None,
        demo: bool = False,
    ) -> None:
        """`read_only` completes "This console is …" when settings cannot be saved now (for
        instance "read-only (--readonly)"); None when they can."""
        super().__init__()
        self.config = config
        self._passwords = passwords
        self.read_only = read_only
        self.demo = demo  # the embedded simulator hands out its own passwords
        self._saving = False
        self._leave_when_saved = False  # "Save" was the answer to leaving with unsaved changes

    def compose(self) -> ComposeResult:
        yield Static("Settings", id="settings-title")
        with VerticalScroll():
            yield Static(id="readonly-note")
            yield Static(Text("Checking the keyring…"), id="keyring")
            for section, title in SECTIONS.items():
                yield Static(title, classes="section")
                for key in KEYS:
                    if key.section != section:
                        continue
                    yield SettingField(key, shown_value(self.config, key))
                    if key.name == f"{section}.username":
                        yield PasswordField(section)
                if section in APIS or section == "events":
                    label = "Test callback" if section == "events" else "Test connection"
                    with Horizontal(classes="test"):
                        yield Button(label, id=f"test-{section}", compact=True)
                        yield Static(id=f"test-result-{section}")
        with Horizontal(id="actions"):
            yield Button("Save", id="save", variant="primary", compact=True)
            yield Button("Back", id="back", compact=True)
        yield ConsoleFooter(compact=True)

    def on_mount(self) -> None:
        show_refused(self)  # a value the settings file holds and the rules refuse
        self.set_read_only(self.read_only)
        self._check_keyring()

    def set_read_only(self, read_only: str | None) -> None:
        """Settings can be looked at but not saved while `read_only` (the reason) is not None."""
        self.read_only = read_only
        note = self.query_one("#readonly-note", Static)
        note.display = read_only is not None
        if read_only is not None:
            note.update(Text(f"This console is {read_only}: settings can be looked at, not saved."))
        self.query_one("#save", Button).disabled = read_only is not None or self._saving

    # -- keyring status ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="keyring-status")
    def _check_keyring(self) -> None:
        # Every keyring call gives up after KEYRING_TIMEOUT; a keyring found unusable is not
        # asked again for each password (a hanging one would make the operator wait thrice).
        status = secrets.keyring_status(KEYRING_TIMEOUT)
        sources: dict[str, str] = {}
        for api in APIS:
            if os.environ.get(secrets.PASSWORD_ENV[api]):
                sources[api] = "environment"
                continue
            try:
                if not status.usable:
                    raise SecretsError(status.explanation)
                found = secrets.get_password(api, KEYRING_TIMEOUT) is not None
                sources[api] = "keyring" if found else "none"
            except SecretsError:
                sources[api] = "unavailable"
        self.post_message(self.KeyringChecked(status, sources))

    def on_settings_screen_keyring_checked(self, message: SettingsScreen.KeyringChecked) -> None:
        box = self.query_one("#keyring", Static)
        status = message.status
        box.set_class(not status.usable, "-unusable")
        if status.usable:
            box.update(Text(f"Keyring: {plain(status.explanation)}."))
        else:
            box.update(Text("Passwords cannot be saved here: " + plain(status.explanation)))
        hints = {
            "keyring": "saved in the keyring — type a new one to replace it",
            "environment": "taken from the environment variable {env} — it wins over the keyring",
            "none": "not set — type it to save it in the keyring",
            "unavailable": "the keyring cannot be read — see above",
        }
        for api, source in message.sources.items():
            hint = hints[source].format(env=secrets.PASSWORD_ENV[api])
            hint = "demo: the simulator's password is used" if self.demo else hint
            self.query_one(f"#password-{api} Input", Input).placeholder = hint

    # -- validation ---------------------------------------------------------------------------

    def _fields(self) -> list[SettingField]:
        return list(self.query(SettingField))

    def collect(self) -> Config | None:
        """A copy of the configuration with the screen's values; None (errors shown) if invalid."""
        new = copy.deepcopy(self.config)
        first_bad: SettingField | None = None
        for field in self._fields():
            try:
                new.set(field.key.name, field.current())
            except ConfigError as exc:
                field.show_error(exc.message)
                first_bad = first_bad or field
            else:
                field.show_error(None)
        if first_bad is not None:
            first_bad.scroll_visible()
            first_bad.query_one("Input, Select").focus()
            return None
        return new

    # -- saving -------------------------------------------------------------------------------

    def action_save(self) -> None:
        self.save()

    def save(self) -> bool:
        """Save what the screen holds (in a worker); False when it cannot be saved now."""
        if self.read_only is not None:
            message = f"This console is {self.read_only}: settings are not saved."
            self.notify(message, severity="warning", markup=False)
            return False
        if self._saving:
            return False
        new = self.collect()
        if new is None:
            self.notify(
                "Some settings are not valid; see the messages next to them.",
                title="Settings not saved",
                severity="error",
            )
            return False
        typed = {}
        for api in APIS:
            box = self.query_one(f"#password-{api} Input", Input)
            if box.value:
                typed[api] = box.value
        self._saving = True
        self.query_one("#save", Button).disabled = True
        self._save(new, typed)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="settings-save")
    def _save(self, new: Config, typed: dict[str, str]) -> None:
        try:
            path = save_config(new)
        except OSError as exc:
            self.post_message(
                self.SaveDone(None, f"cannot write the settings file: {exc.strerror}")
            )
            return
        results: dict[str, str] = {}
        failed: list[str] = []
        for api in list(typed):
            try:
                results[api] = secrets.set_password(api, typed.pop(api), KEYRING_TIMEOUT)
            except SecretsError as exc:
                results[api] = exc.message
                failed.append(api)
        self.post_message(self.SaveDone(SaveOutcome(str(path), new, results, failed)))

    def on_settings_screen_save_done(self, message: SettingsScreen.SaveDone) -> None:
        self._saving = False
        leave, self._leave_when_saved = self._leave_when_saved, False
        self.query_one("#save", Button).disabled = self.read_only is not None
        outcome = message.outcome
        if outcome is None:
            self.notify(plain(message.error), title="Settings not saved", severity="error")
            return
        self.config = outcome.config
        self.post_message(self.Saved(outcome.config))
        for api, sentence in outcome.passwords.items():
            field = self.query_one(f"#password-{api}", PasswordField)
            field.show_result(sentence, error=api in outcome.failed)
            if api not in outcome.failed:
                field.query_one(Input).value = ""
        if outcome.failed:
            names = ", ".join(a.upper() for a in outcome.failed)
            self.notify(
                f"Settings saved to {outcome.path}, but the password for {names} was NOT saved: "
                "see the message next to it.",
                title="Password not saved",
                severity="error",
                timeout=10,
            )
        else:
            extra = " and the password(s) saved in the keyring" if outcome.passwords else ""
            self.notify(f"Settings saved to {outcome.path}{extra}.", title="Settings")
            if leave:
                self.dismiss(None)
                return
        self._check_keyring()

    # -- connection test ----------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "save":
            self.action_save()
        elif button == "back":
            self.action_back()
        elif button.startswith("test-"):
            api = button.removeprefix("test-")
            new = self.collect()
            result = self.query_one(f"#test-result-{api}", Static)
            if new is None:
                result.update(Text("Fix the settings marked above first."))
                return
            if api == "events":
                result.update(Text("Testing…"))
                self._test_callback(new)
                return
            if not new.url_for(api):
                result.update(Text(f"Set {api}.url first."))
                return
            typed = self.query_one(f"#password-{api} Input", Input).value
            result.update(Text("Testing…"))
            self._test(api, new, typed or None)

    @work(thread=True, exclusive=False, exit_on_error=False, group="connection-test")
    def _test(self, api: str, cfg: Config, typed: str | None) -> None:
        try:
            username = cfg.username_for(api)
            client = client_for(  # one entity, once, within 15 s; no local holds the password
                cfg,
                api,
                lambda: (typed or self._passwords(api)) if username else None,
                page_size=1,
                timeout=min(cfg.http.timeout, 15.0),
                concurrency=1,
                retry=RetryPolicy(attempts=1),
            )
            with client:
                sentence = client.test_connection(cfg.get(TEST_PATH_KEY[api]))
        except Exception as exc:  # every failure is reported, none may escape the worker
            self.post_message(self.Tested(api, False, test_verdict(exc)))
            return
        self.post_message(self.Tested(api, True, f"Success: {plain(sentence)}"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="callback-test")
    def _test_callback(self, cfg: Config) -> None:
        try:
            sentence = check_callback(cfg)
        except InventoryError as exc:
            self.post_message(self.Tested("events", False, plain(exc.message)))
            return
        self.post_message(self.Tested("events", True, f"Success: {plain(sentence)}"))

    def on_settings_screen_tested(self, message: SettingsScreen.Tested) -> None:
        result = self.query_one(f"#test-result-{message.api}", Static)
        result.set_class(message.ok, "-ok")
        result.set_class(not message.ok, "-failed")
        result.update(Text(("✓ " if message.ok else "✗ ") + message.sentence))

    # -- leaving ------------------------------------------------------------------------------

    def unsaved(self) -> list[str]:
        """The keys (and passwords) whose values on the screen are not the saved ones."""
        names = []
        for field in self._fields():
            name = field.key.name
            try:
                changed = parse_value(field.key, field.current()) != self.config.get(name)
            except ConfigError:
                changed = True  # (a value that is not even of the key's type is an edit too)
            if changed:
                names.append(name)
        for api in APIS:
            if self.query_one(f"#password-{api} Input", Input).value:
                names.append(f"{api}.password")
        return names

    def action_back(self) -> None:
        """Leave; with unsaved changes, after asking whether to save or discard them."""
        unsaved = self.unsaved()
        if not unsaved:
            self.dismiss(None)
            return
        what = ", ".join(unsaved[:6]) + (
            f" and {len(unsaved) - 6} more" if len(unsaved) > 6 else ""
        )
        answers = [("discard", "Discard", "error"), ("stay", "Cancel", "default")]
        if self.read_only is None:
            question = f"Not saved: {what}.\n\nSave the changes, or discard them and leave?"
            answers.insert(0, ("save", "Save", "primary"))
        else:
            question = (
                f"Not saved: {what}. This console is {self.read_only}: they cannot be saved."
                "\n\nDiscard them and leave?"
            )
        dialog = ConfirmDialog("Unsaved settings", question, answers)
        self.app.push_screen(dialog, self._leave)

    async def action_quit_asking(self) -> None:
        """Quit the console; with unsaved changes, after asking whether to discard them."""
        unsaved = self.unsaved()
        if not unsaved:
            await self.app.action_quit()
            return
        what = ", ".join(unsaved[:6]) + (
            f" and {len(unsaved) - 6} more" if len(unsaved) > 6 else ""
        )
        question = f"Not saved: {what}.\n\nDiscard them and quit?"
        answers = [("discard", "Discard and quit", "error"), ("stay", "Cancel", "default")]

        async def quit_if(answer: str | None) -> None:
            if answer == "discard":
                await self.app.action_quit()

        self.app.push_screen(ConfirmDialog("Unsaved settings", question, answers), quit_if)

    def _leave(self, answer: str | None) -> None:
        if answer == "discard":
            self.dismiss(None)
        elif answer == "save":
            self._leave_when_saved = self.save()
