"""The Settings screen's fields: one key's value, checked as it is typed; an API's password."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static

from tui_inventory.config import Key, parse_value, validate_value
from tui_inventory.errors import ConfigError
from tui_inventory.text import plain


def field_id(name: str) -> str:
    return "key-" + name.replace(".", "-")


class SettingField(Vertical):
    """One key: its name, its input, its help sentence and, when invalid, the error."""

    DEFAULT_CSS = """
    SettingField { height: auto; margin-bottom: 1; }
    SettingField Horizontal { height: auto; }
    SettingField .name { width: 26; }
    SettingField Input, SettingField Select { width: 1fr; }
    SettingField .help { color: $text-muted; padding-left: 26; height: auto; }
    SettingField .error { color: $error; padding-left: 26; height: auto; display: none; }
    SettingField.-invalid .error { display: block; }
    """

    def __init__(self, key: Key, value: Any) -> None:
        super().__init__(id=field_id(key.name))
        self.key = key
        self.value = value

    def compose(self) -> ComposeResult:
        key, value = self.key, self.value
        with Horizontal():
            yield Static(key.name, classes="name")
            if key.kind is bool:
                # Words, not a tick box: "on"/"off" reads the same without colour.
                choices = [("on", True), ("off", False)]
                yield Select(choices, value=bool(value), allow_blank=False, compact=True)
            elif key.choices:
                options = [(c, c) for c in key.choices]
                yield Select(options, value=value, allow_blank=False, compact=True)
            else:
                # (not selected on focus: a stray key adds to the value, never replaces it)
                value_text = "" if value is None else str(value)
                yield Input(value_text, compact=True, select_on_focus=False)
        yield Static(Text(key.help), classes="help")
        yield Static(classes="error")

    @on(Input.Changed)
    @on(Select.Changed)
    def validate(self) -> None:
        """Check the value as it is typed, by the configuration's own rules."""
        try:
            validate_value(self.key, parse_value(self.key, self.current()))
        except ConfigError as exc:
            self.show_error(exc.message)
        else:
            self.show_error(None)

    def current(self) -> Any:
        if self.key.kind is bool or self.key.choices:
            return self.query_one(Select).value
        return self.query_one(Input).value

    def show_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.query_one(".error", Static).update(Text(plain(message or "", limit=400)))


class PasswordField(Vertical):
    """An API's password, typed masked; the field never shows the stored one."""

    DEFAULT_CSS = """
    PasswordField { height: auto; margin-bottom: 1; }
    PasswordField Horizontal { height: auto; }
    PasswordField .name { width: 26; }
    PasswordField Input { width: 1fr; }
    PasswordField .help { color: $text-muted; padding-left: 26; height: auto; }
    PasswordField .error { color: $error; padding-left: 26; height: auto; }
    PasswordField .error.-ok { color: $success; }
    """

    def __init__(self, api: str) -> None:
        super().__init__(id=f"password-{api}")
        self.api = api

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(f"{self.api}.password", classes="name")
            yield Input(password=True, compact=True, placeholder="checking the keyring…")
        yield Static(
            Text("Saved in the OS keyring when you save; never written to the settings file."),
            classes="help",
        )
        yield Static(classes="error")

    def show_result(self, message: str, *, error: bool) -> None:
        result = self.query_one(".error", Static)
        result.set_class(not error, "-ok")
        result.update(Text(plain(message, limit=600)))
