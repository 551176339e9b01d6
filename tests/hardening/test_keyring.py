"""The keyring, core side: no D-Bus at all, a D-Bus address nobody answers on, a D-Bus that accepts
and never answers, the null backend configured, a real Secret Service that is locked. Whatever
happens, nothing claims a password was saved when it was not, and a sync whose keyring hangs or is
locked ends promptly with the keyring's sentence instead of hanging.

tests/unit/test_secrets.py covers the same refusals with stand-in backends (fail, null, plain text,
hanging, failing, forgetful) and the real Secret Service saving and reading; these use the real
detection in a real process, a real socket, a real locked collection. The console's side (it stays
responsive and says so on screen) is in the console's tests.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keyring.backend
import keyring.core
import keyring.errors
import pytest
from hostile import snapshot
from keyring.backend import KeyringBackend
from keyring_backends import HangingKeyring, TestBackend

from tui_inventory import secrets
from tui_inventory.errors import SecretsError
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine

if TYPE_CHECKING:
    from keyring_fixtures import SecretService

CLI = [sys.executable, "-m", "tui_inventory"]
NO_KEYRING = "tui-inventory: no usable keyring was found: no Secret Service answers on D-Bus"
MakeEngine = Callable[..., SyncEngine]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(str(tmp_path / "inventory.db"))
    yield s
    s.close()


def _env(home: Path, **extra: str) -> dict[str, str]:
    """A process environment with no D-Bus session, no keyring choice and no password."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND")
        and not k.startswith("TUI_INVENTORY_TMF63")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        TUI_INVENTORY_CONFIG=str(home / "config.toml"),
    )
    env.update(extra)
    return env


def set_password_with_the_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "config", "set-password", "tmf638"],
        input="never-saved-pw\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_refused(done: subprocess.CompletedProcess[str], sentence: str) -> None:
    assert done.returncode == 1
    assert "saved" not in done.stdout
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(sentence), err
    assert "TUI_INVENTORY_TMF638_PASSWORD" in err  # the choices are explained
    assert "never-saved-pw" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "bus",
    [None, "unix:path=/nonexistent/tui-inventory-test-bus"],
    ids=["no-dbus-session", "dbus-address-nobody-answers"],
)
def test_without_a_secret_service_set_password_refuses_and_says_why(
    bus: str | None, tmp_path: Path
) -> None:
    env = _env(tmp_path, **({"DBUS_SESSION_BUS_ADDRESS": bus} if bus else {}))

    assert_refused(set_password_with_the_cli(env), NO_KEYRING)
    shown = subprocess.run(
        [*CLI, "config", "show"], env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0
    assert "tmf638.password: unknown (no usable keyring was found" in shown.stdout


@pytest.mark.parametrize("how", ["environment", "keyringrc"])
def test_the_null_backend_configured_is_refused_not_used(how: str, tmp_path: Path) -> None:
    null = "keyring.backends.null.Keyring"
    if how == "environment":
        env = _env(tmp_path, PYTHON_KEYRING_BACKEND=null)
    else:
        rc = tmp_path / "config" / "python_keyring" / "keyringrc.cfg"
        rc.parent.mkdir(parents=True)
        rc.write_text(f"[backend]\ndefault-keyring={null}\n")
        env = _env(tmp_path)

    assert_refused(set_password_with_the_cli(env), "tui-inventory: the keyring is switched off")


# -- a D-Bus that accepts and never answers --------------------------------------------------------


def _forget_viable_backends() -> None:
    """Keyring judges which backends are viable once per process; judge again."""
    with contextlib.suppress(AttributeError, KeyError):  # nothing judged yet
        keyring.backend.get_all_keyring.reset()  # type: ignore[attr-defined]


@pytest.fixture
def silent_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A session bus address whose socket accepts connections and never says a word (a wedged
    dbus-daemon); the keyring is left to detect its backend on it. Closed (and the keyring calls
    stuck on it released) after the test."""
    path = tmp_path / "bus"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={path}")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # detect afresh, on this bus
    # ...with the viable backends judged afresh too: keyring caches that list once per process,
    # and a test before this one may have judged it without any D-Bus.
    _forget_viable_backends()
    for variable in secrets.PASSWORD_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    yield f"unix:path={path}"
    server.close()
    _forget_viable_backends()
    for conn in accepted:
        conn.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for thread in list(secrets._stuck):
            thread.join(timeout=5)
        gc.collect()
    keyring.core._keyring_backend = None


def test_a_dbus_that_never_answers_is_reported_within_the_timeout(silent_bus: str) -> None:
    started = time.monotonic()
    with pytest.raises(SecretsError) as raised:
        secrets.set_password("tmf638", "hung-pw", timeout=0.5)
    status = secrets.keyring_status(timeout=0.5)
    with pytest.raises(SecretsError):
        secrets.get_password("tmf638", timeout=0.5)

    assert time.monotonic() - started < 5
    assert raised.value.message.startswith("the keyring did not answer within 0.5 s")
    assert "hung-pw" not in raised.value.message
    assert not status.usable
    assert "did not answer" in status.explanation


# -- a real Secret Service, locked ---------------------------------------------------------------


def test_saving_into_a_locked_secret_service_is_refused_and_saves_nothing(
    private_secret_service: SecretService,
) -> None:
    import secretstorage

    secrets.set_password("tmf639", "the-old-pw")
    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.lock()
        before = [item.item_path for item in collection.get_all_items()]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # the keyring leaves its connection
        with pytest.raises(SecretsError) as raised:
            secrets.set_password("tmf639", "the-new-pw", timeout=10)
        gc.collect()

    assert "is locked" in raised.value.message
    assert "saving the password for TMF639" in raised.value.message
    assert "the-new-pw" not in raised.value.message
    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        assert collection.is_locked()
        assert [item.item_path for item in collection.get_all_items()] == before  # no new entry


# -- a sync whose keyring hangs or is locked --------------------------------------------------------


class Locked(TestBackend):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


@pytest.mark.parametrize("backend", ["hanging", "locked"])
def test_a_sync_whose_keyring_hangs_or_is_locked_fails_promptly_and_keeps_the_store(
    backend: str,
    sim: Any,
    store: Store,
    make_engine: MakeEngine,
    use_keyring: Callable[[KeyringBackend], None],
) -> None:
    engine = make_engine(sim, store)
    assert engine.run("buildup").ok
    before = snapshot(store)
    hanging = HangingKeyring()
    use_keyring(hanging if backend == "hanging" else Locked())
    engine.passwords = functools.partial(secrets.get_password, timeout=0.3)
    try:
        started = time.monotonic()
        result = engine.run("update")
        elapsed = time.monotonic() - started
    finally:
        hanging.release.set()
        for thread in list(secrets._stuck):
            thread.join(timeout=5)

    assert elapsed < 5
    assert result.state == "failed"
    for kind, t in result.types.items():
        api = "TMF639" if kind == "resources" else "TMF638"
        assert t.state == "failed"
        if backend == "hanging":
            assert t.reason.startswith("the keyring did not answer within 0.3 s"), t.reason
        else:
            assert t.reason.startswith(
                f"the keyring ({__name__}.Locked) is locked and was not unlocked while reading "
                f"the password for {api}"
            ), t.reason
    assert snapshot(store) == before
