"""The events settings (SPEC §2, §10) and the listener's secret token."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from keyring.backend import KeyringBackend
from test_secrets import MemoryKeyring

from tui_inventory import logs, secrets
from tui_inventory.config import Config, load_config, save_config
from tui_inventory.errors import ConfigError


def test_the_events_keys_have_their_defaults_and_are_validated() -> None:
    cfg = Config()
    assert cfg.get("events.enabled") is False
    assert cfg.get("events.listen") == "0.0.0.0:8639"
    assert cfg.get("events.callback_url") is None
    cfg.set("events.enabled", "yes")
    cfg.set("events.listen", "127.0.0.1:9000")
    cfg.set("events.callback_url", "https://inventory.example.net:9443")
    assert cfg.events.listen_address() == ("127.0.0.1", 9000)
    assert cfg.events.callback_base() == "https://inventory.example.net:9443"
    for bad in ("8639", "host:", "host:70000", ":80"):
        with pytest.raises(ConfigError, match=r"events\.listen must be HOST:PORT"):
            cfg.set("events.listen", bad)
    with pytest.raises(ConfigError, match=r"events\.callback_url must be an http"):
        cfg.set("events.callback_url", "ftp://x")


def test_the_default_callback_is_this_hosts_name_and_the_listeners_port() -> None:
    import socket

    cfg = Config()
    cfg.set("events.listen", "[::]:8700")
    assert cfg.events.callback_base() == f"http://{socket.gethostname()}:8700"


def test_the_events_keys_round_trip_through_the_file_and_config_show(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    cfg = Config(path=path)
    cfg.set("events.enabled", True)
    cfg.set("events.listen", "127.0.0.1:8801")
    save_config(cfg)
    again = load_config(path)
    assert again.events.enabled is True and again.events.listen == "127.0.0.1:8801"
    shown = subprocess.run(
        [sys.executable, "-m", "tui_inventory", "--config", str(path), "config", "show"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "events.enabled = True" in shown
    assert "events.listen = 127.0.0.1:8801" in shown


def test_the_token_is_made_once_kept_in_the_keyring_and_redacted(
    use_keyring: Callable[[KeyringBackend], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(secrets.EVENTS_TOKEN_ENV, raising=False)
    memory = MemoryKeyring()
    use_keyring(memory)
    token = secrets.events_token()
    assert len(token) >= 32
    assert memory.entries[(secrets.SERVICE, "events")] == token
    assert secrets.events_token() == token  # the same on every later use
    assert token not in logs.redact(f"callback http://host:8639/{token}/listener/x")


def test_the_environment_token_wins_and_is_redacted(
    use_keyring: Callable[[KeyringBackend], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_keyring(MemoryKeyring())
    monkeypatch.setenv(secrets.EVENTS_TOKEN_ENV, "env-token-5b1c9e77d0")
    assert secrets.events_token() == "env-token-5b1c9e77d0"
    assert logs.redact("/env-token-5b1c9e77d0/listener") == "/***/listener"
