"""Keyring fixtures: swap the keyring backend for a test, or run a real Secret Service.

`secret_service` starts a private D-Bus session bus and an unlocked gnome-keyring-daemon on it (in
temporary directories: the developer's own keyring is never touched) and points the keyring at
it. Without dbus-daemon and gnome-keyring-daemon the tests that need it are skipped, or fail when
TUI_INVENTORY_REQUIRE_SECRET_SERVICE=1 (CI sets it, so a missing install cannot hide).

A test module uses them with `pytest_plugins = ["keyring_fixtures"]` (or tests/conftest.py does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from tui_inventory.secrets import PASSWORD_ENV, SERVICE

REQUIRE_ENV = "TUI_INVENTORY_REQUIRE_SECRET_SERVICE"
INSTALL_HINT = "apt-get install -y dbus gnome-keyring"
KEYRING_PASSWORD = "fixture-keyring-password"


@dataclass(frozen=True)
class SecretService:
    """A running Secret Service: the bus address to reach it and the environment it runs in."""

    address: str
    env: dict[str, str]


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} (and {REQUIRE_ENV}=1 requires the real Secret Service test)")
    pytest.skip(reason)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _wait_for_name(address: str, name: str, deadline: float) -> bool:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with closing(open_dbus_connection(bus=address)) as conn:
        while time.monotonic() < deadline:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=2)
            if reply.body[0]:
                return True
            time.sleep(0.05)
    return False


@contextmanager
def running_secret_service(root: Path) -> Iterator[SecretService]:
    """dbus-daemon and gnome-keyring-daemon (unlocked) as child processes, state under `root`."""
    missing = [t for t in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(t) is None]
    if missing:
        _unavailable(f"{' and '.join(missing)} not installed; {INSTALL_HINT}")
    try:
        import jeepney  # noqa: F401  (secretstorage's D-Bus library, a keyring dependency on Linux)
        import secretstorage  # noqa: F401
    except ImportError as exc:
        _unavailable(f"the Secret Service client libraries are missing: {exc}")
    runtime = root / "run"
    runtime.mkdir(mode=0o700, parents=True)
    env = {
        **os.environ,
        "HOME": str(root),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
    }
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    errors = (root / "daemons.log").open("w")
    processes: list[subprocess.Popen[str]] = []
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            text=True,
        )
        processes.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        bus.stdout.close()
        if not address:
            _unavailable(f"dbus-daemon did not start: {(root / 'daemons.log').read_text()[:300]}")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            text=True,
        )
        processes.append(daemon)
        assert daemon.stdin is not None
        # --unlock reads the login keyring's password (creating that keyring) from stdin.
        daemon.stdin.write(KEYRING_PASSWORD)
        daemon.stdin.close()
        if not _wait_for_name(address, "org.freedesktop.secrets", time.monotonic() + 10):
            log = (root / "daemons.log").read_text()[-300:]
            _unavailable(f"gnome-keyring-daemon did not register the Secret Service: {log}")
        yield SecretService(address=address, env=env)
    finally:
        for process in reversed(processes):
            _stop(process)
        errors.close()


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> Callable[[KeyringBackend], None]:
    """Make the keyring library use `backend` for this test only (no env password either)."""
    for variable in PASSWORD_ENV.values():
        monkeypatch.delenv(variable, raising=False)

    def use(backend: KeyringBackend) -> None:
        monkeypatch.setattr(keyring.core, "_keyring_backend", backend)

    return use


@pytest.fixture(scope="session")
def secret_service_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    with running_secret_service(tmp_path_factory.mktemp("secret-service")) as service:
        yield service


@pytest.fixture
def private_secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_keyring: Callable[[KeyringBackend], None]
) -> Iterator[SecretService]:
    """A Secret Service of this test's own (it may lock it), used by the keyring for this test."""
    from keyring.backends import SecretService as secret_service_backend

    with running_secret_service(tmp_path / "secret-service") as service:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        use_keyring(secret_service_backend.Keyring())
        yield service


@pytest.fixture
def secret_service(
    secret_service_session: SecretService,
    monkeypatch: pytest.MonkeyPatch,
    use_keyring: Callable[[KeyringBackend], None],
) -> Iterator[SecretService]:
    """The shared real Secret Service, used by the keyring for this test; our entries removed."""
    from keyring.backends import SecretService as secret_service_backend

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_session.address)
    backend = secret_service_backend.Keyring()
    use_keyring(backend)
    yield secret_service_session
    for api in PASSWORD_ENV:
        try:
            backend.delete_password(SERVICE, api)
        except PasswordDeleteError:
            pass
