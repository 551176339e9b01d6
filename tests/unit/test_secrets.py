"""Passwords: the environment override, refusing insecure keyrings, timeouts, and a real keyring."""

from __future__ import annotations

import gc
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import TYPE_CHECKING

import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService as secret_service_backend
from keyring.backends import chainer, fail, null
from keyring_backends import HangingKeyring, TestBackend

from tui_inventory import logs, secrets
from tui_inventory.errors import SecretsError

if TYPE_CHECKING:
    from keyring_fixtures import SecretService

pytest_plugins = ["keyring_fixtures"]

UseKeyring = Callable[[KeyringBackend], None]


class MemoryKeyring(TestBackend):
    """A secure-enough keyring for tests: a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring."""


class FailingKeyring(MemoryKeyring):
    """Refuses to store, with an error text that (carelessly) repeats the password."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot store {password!r} for {username}")


class ForgetfulKeyring(MemoryKeyring):
    """Accepts every password without error and keeps none."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


@pytest.fixture
def hanging(use_keyring: UseKeyring) -> Iterator[HangingKeyring]:
    backend = HangingKeyring()
    use_keyring(backend)
    yield backend
    backend.release.set()
    for thread in list(secrets._stuck):
        thread.join(timeout=5)


def test_environment_variable_overrides_the_keyring(
    use_keyring: UseKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = MemoryKeyring()
    memory.entries[(secrets.SERVICE, "tmf638")] = "from-keyring"
    use_keyring(memory)
    monkeypatch.setenv("TUI_INVENTORY_TMF638_PASSWORD", "from-env-638")

    assert secrets.get_password("tmf638") == "from-env-638"
    assert secrets.password_source("tmf638") == "environment"
    assert secrets.get_password("tmf639") is None
    assert secrets.password_source("tmf639") == "none"


def test_environment_variable_works_without_any_keyring(
    use_keyring: UseKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keyring(fail.Keyring())
    monkeypatch.setenv("TUI_INVENTORY_TMF639_PASSWORD", "headless-pw")

    assert secrets.get_password("tmf639") == "headless-pw"
    assert secrets.password_source("tmf639") == "environment"
    assert logs.redact("pw=headless-pw") == "pw=***"


def test_no_keyring_backend_is_explained_not_worked_around(use_keyring: UseKeyring) -> None:
    use_keyring(fail.Keyring())

    status = secrets.keyring_status()
    assert not status.usable
    assert status.backend == "fail"
    for choice in (
        "no usable keyring",
        "gnome-keyring-daemon --unlock",
        "dbus-run-session",
        "EncryptedKeyring",
        "TUI_INVENTORY_TMF638_PASSWORD",
    ):
        assert choice in status.explanation

    with pytest.raises(SecretsError) as raised:
        secrets.get_password("tmf638")
    assert raised.value.message == status.explanation
    with pytest.raises(SecretsError, match="no usable keyring"):
        secrets.set_password("tmf638", "never-stored")
    with pytest.raises(SecretsError, match="no usable keyring"):
        secrets.password_source("tmf638")


def test_the_null_keyring_does_not_swallow_passwords(use_keyring: UseKeyring) -> None:
    use_keyring(null.Keyring())

    assert not secrets.keyring_status().usable
    with pytest.raises(SecretsError, match="switched off"):
        secrets.set_password("tmf639", "would-vanish")


def test_a_plaintext_keyring_is_refused(use_keyring: UseKeyring) -> None:
    plaintext = PlaintextKeyring()
    use_keyring(plaintext)

    status = secrets.keyring_status()
    assert not status.usable
    assert "plain text" in status.explanation
    with pytest.raises(SecretsError, match="plain text"):
        secrets.set_password("tmf638", "not-on-disk")
    assert plaintext.entries == {}


def test_a_chain_uses_only_its_secure_members(
    use_keyring: UseKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    plaintext, memory = PlaintextKeyring(), MemoryKeyring()
    plaintext.entries[(secrets.SERVICE, "tmf639")] = "stale-plaintext"
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plaintext, memory])
    use_keyring(chainer.ChainerBackend())

    assert secrets.get_password("tmf639") is None
    assert "MemoryKeyring" in secrets.set_password("tmf638", "chained-pw")
    assert memory.entries == {(secrets.SERVICE, "tmf638"): "chained-pw"}
    assert plaintext.entries == {(secrets.SERVICE, "tmf639"): "stale-plaintext"}

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plaintext])
    with pytest.raises(SecretsError, match="plain text"):
        secrets.get_password("tmf639")


def test_a_hanging_keyring_does_not_block_the_caller(hanging: HangingKeyring) -> None:
    started = time.monotonic()
    with pytest.raises(SecretsError, match=r"did not answer within 0\.3 s") as raised:
        secrets.get_password("tmf638", timeout=0.3)
    assert time.monotonic() - started < 2
    assert "TUI_INVENTORY_TMF638_PASSWORD" in raised.value.message

    started = time.monotonic()
    with pytest.raises(SecretsError, match="did not answer"):
        secrets.set_password("tmf638", "hung-pw", timeout=0.3)
    status = secrets.keyring_status(timeout=0.3)
    assert time.monotonic() - started < 3
    assert not status.usable
    assert "did not answer" in status.explanation


def test_calls_fail_at_once_while_earlier_calls_still_hang(hanging: HangingKeyring) -> None:
    for _ in range(secrets._MAX_STUCK):
        with pytest.raises(SecretsError, match="did not answer"):
            secrets.get_password("tmf639", timeout=0.05)
    started = time.monotonic()
    with pytest.raises(SecretsError, match="has not answered"):
        secrets.get_password("tmf639", timeout=5)
    assert time.monotonic() - started < 1

    hanging.release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            assert secrets.get_password("tmf639", timeout=1) is None
            break
        except SecretsError:
            time.sleep(0.05)
    else:
        pytest.fail("the keyring stayed refused after it answered again")


def test_set_password_never_claims_success_when_the_backend_fails(
    use_keyring: UseKeyring,
) -> None:
    use_keyring(FailingKeyring())

    with pytest.raises(SecretsError) as raised:
        secrets.set_password("tmf638", "Sup3r-secret!")
    message = raised.value.message
    assert "failed while saving the password for TMF638" in message
    assert "Sup3r-secret!" not in message
    assert "***" in message
    assert raised.value.__context__ is None  # the backend's exception is not kept


def test_set_password_verifies_by_reading_back(use_keyring: UseKeyring) -> None:
    use_keyring(ForgetfulKeyring())

    with pytest.raises(SecretsError, match="not saved"):
        secrets.set_password("tmf639", "lost-pw")


def test_set_get_delete_round_trip(use_keyring: UseKeyring) -> None:
    memory = MemoryKeyring()
    use_keyring(memory)

    sentence = secrets.set_password("tmf638", "round-trip-pw")
    assert sentence.startswith("password for TMF638 saved in the keyring")
    assert "round-trip-pw" not in sentence
    assert secrets.get_password("tmf638") == "round-trip-pw"
    assert secrets.password_source("tmf638") == "keyring"
    assert logs.redact("x round-trip-pw y") == "x *** y"

    secrets.delete_password("tmf638")
    secrets.delete_password("tmf638")  # nothing left to delete is fine
    assert secrets.get_password("tmf638") is None
    assert secrets.password_source("tmf638") == "none"


def test_set_password_says_when_the_environment_still_wins(
    use_keyring: UseKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keyring(MemoryKeyring())
    monkeypatch.setenv("TUI_INVENTORY_TMF639_PASSWORD", "env-pw")

    assert "TUI_INVENTORY_TMF639_PASSWORD is set" in secrets.set_password("tmf639", "kr-pw")


def test_empty_password_and_unknown_api_are_refused(use_keyring: UseKeyring) -> None:
    memory = MemoryKeyring()
    use_keyring(memory)

    with pytest.raises(SecretsError, match="empty password"):
        secrets.set_password("tmf638", "")
    assert memory.entries == {}
    with pytest.raises(ValueError, match="unknown API"):
        secrets.get_password("tmf640")


def test_a_broken_backend_setting_is_explained(
    monkeypatch: pytest.MonkeyPatch, use_keyring: UseKeyring
) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.NoSuchKeyring")

    status = secrets.keyring_status()
    assert not status.usable
    assert "PYTHON_KEYRING_BACKEND=keyrings.alt.file.NoSuchKeyring cannot be used" in (
        status.explanation
    )


def test_real_secret_service_saves_and_reads_back(secret_service: SecretService) -> None:
    status = secrets.keyring_status()
    assert status.usable, status.explanation
    assert status.backend == "SecretService"

    sentence = secrets.set_password("tmf638", "gnome-kept-pw")
    assert sentence == "password for TMF638 saved in the keyring (SecretService)"
    assert secrets.get_password("tmf638") == "gnome-kept-pw"
    assert secrets.password_source("tmf638") == "keyring"
    assert secrets.password_source("tmf639") == "none"
    # Another client of the same Secret Service sees it: it is really in the daemon.
    other = secret_service_backend.Keyring()
    assert other.get_password(secrets.SERVICE, "tmf638") == "gnome-kept-pw"

    secrets.set_password("tmf638", "gnome-replaced-pw")
    assert secrets.get_password("tmf638") == "gnome-replaced-pw"
    secrets.delete_password("tmf638")
    assert other.get_password(secrets.SERVICE, "tmf638") is None


def test_real_locked_secret_service_is_reported(private_secret_service: SecretService) -> None:
    import secretstorage

    secrets.set_password("tmf639", "locked-away-pw")
    with closing(secretstorage.dbus_init()) as connection:
        secretstorage.get_default_collection(connection).lock()

    # No one can answer the unlock prompt here: the keyring library then leaves a D-Bus
    # connection unclosed, which is its business, not this test's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(SecretsError, match="is locked") as raised:
            secrets.get_password("tmf639", timeout=10)
        status = secrets.keyring_status(timeout=10)
        gc.collect()
    assert "locked-away-pw" not in raised.value.message
    assert "TUI_INVENTORY_TMF639_PASSWORD" in raised.value.message
    assert not status.usable
    assert "is locked" in status.explanation
