"""Keyring backends for tests: never chosen by keyring's own detection, only set by a test."""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend
from keyring.compat import properties


class TestBackend(KeyringBackend):
    """Never chosen by the keyring's own detection: its priority says it is not viable."""

    __test__ = False  # not a pytest test class

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend, only used through keyring.set_keyring")

    def __init__(self) -> None:
        # keyring ships py.typed but leaves KeyringBackend.__init__ unannotated: the one place
        # the tests' backends call it (mypy names the subclass, so untyped_calls_exclude misses it)
        super().__init__()  # type: ignore[no-untyped-call]


class HangingKeyring(TestBackend):
    """A keyring (a wedged Secret Service, say) that never answers until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait()

    def delete_password(self, service: str, username: str) -> None:
        self.release.wait()
