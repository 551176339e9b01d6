"""Passwords: the environment override, the OS keyring, and the refusal to store them in plain text.

One keyring entry per API (service `tui-inventory`, username `tmf638` / `tmf639`). The environment
variables in `PASSWORD_ENV` take precedence, for headless hosts and CI. A keyring that would keep
passwords in plain text, or that does nothing, counts as no keyring: the operator is told the
choices instead. Every keyring call runs in a daemon thread and is abandoned after `timeout`
seconds, so a Secret Service that never answers (a locked collection waiting for a prompt nobody
can see over SSH) cannot hang the console. Every password read or written is registered with the
log redaction.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from secrets import token_urlsafe
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from tui_inventory import logs
from tui_inventory.errors import SecretsError

SERVICE = "tui-inventory"
PASSWORD_ENV = {
    "tmf638": "TUI_INVENTORY_TMF638_PASSWORD",
    "tmf639": "TUI_INVENTORY_TMF639_PASSWORD",
}

# An entry nobody stores: reading it shows whether the keyring answers and is unlocked.
_PROBE_USER = "keyring-probe"
# Keyring calls that timed out and are still blocked. Past this many, new calls fail at once
# instead of piling up more blocked threads.
_MAX_STUCK = 4

_T = TypeVar("_T")
Backend = keyring.backend.KeyringBackend

_stuck_lock = threading.Lock()
_stuck: set[threading.Thread] = set()


@dataclass(frozen=True)
class KeyringStatus:
    """Whether passwords can be kept in the keyring; `explanation` is written for the operator."""

    usable: bool
    backend: str
    explanation: str


def _have_keyrings_alt() -> bool:
    try:
        return importlib.util.find_spec("keyrings.alt") is not None
    except ImportError:  # no `keyrings` namespace at all
        return False


def _choices() -> str:
    if _have_keyrings_alt():
        encrypted = "set PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring"
    else:
        encrypted = (
            "pip install keyrings.alt and set "
            "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring"
        )
    env = " and ".join(PASSWORD_ENV.values())
    # The session command reads the keyring's password without echo and pipes it with a shell
    # builtin, so it never shows in `ps` or the shell history.
    return (
        "Choices: run inside a Secret Service session, e.g. `dbus-run-session -- bash -c 'read "
        '-rsp "keyring password: " pw; echo; printf %s "$pw" | gnome-keyring-daemon --unlock '
        "--components=secrets >/dev/null; tui-inventory'`; use an encrypted file keyring "
        f"({encrypted}); or set {env} in the environment."
    )


def _plaintext(backend: Backend) -> bool:
    # keyrings.alt's file.PlaintextKeyring and pyfs.PlaintextKeyring, and any look-alike.
    return "plaintext" in type(backend).__name__.lower()


def _backend_name(backend: Backend) -> str:
    cls = type(backend)
    if cls.__module__.startswith("keyring.backends."):
        name = cls.__module__.removeprefix("keyring.backends.")
        return name if cls.__name__ == "Keyring" else f"{name} {cls.__name__}"
    return f"{cls.__module__}.{cls.__name__}"


def _refusal(backend: Backend) -> str | None:
    """Why this backend cannot hold our passwords, or None when it can."""
    if isinstance(backend, fail.Keyring):
        return (
            "no usable keyring was found: no Secret Service answers on D-Bus (the normal case "
            "on a server reached over SSH) and no other secure backend is installed."
        )
    if isinstance(backend, null.Keyring):
        return (
            "the keyring is switched off (keyring.backends.null, chosen by PYTHON_KEYRING_BACKEND "
            "or keyringrc.cfg)."
        )
    if _plaintext(backend):
        return (
            f"the keyring backend {_backend_name(backend)} would store passwords in plain text, "
            "which tui-inventory refuses."
        )
    return None


def _safe_backends(backend: Backend) -> list[Backend]:
    """The backends we may use, highest priority first; a chain loses its plain-text members."""
    if isinstance(backend, chainer.ChainerBackend):
        return [b for b in backend.backends if _refusal(b) is None]
    return [] if _refusal(backend) is not None else [backend]


def _run(call: Callable[[], _T], timeout: float) -> _T:
    """Run a keyring call in a daemon thread; give up on it after `timeout` seconds."""
    with _stuck_lock:
        _stuck.difference_update({t for t in _stuck if not t.is_alive()})
        if len(_stuck) >= _MAX_STUCK:
            raise SecretsError(
                f"the keyring has not answered {len(_stuck)} earlier requests; it is hanging "
                f"(often a locked collection waiting for a prompt nobody can see). {_choices()}"
            )
    result: list[_T] = []
    error: list[BaseException] = []
    done = threading.Event()

    def worker() -> None:
        try:
            result.append(call())
        except BaseException as exc:
            error.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=worker, name="tui-inventory-keyring", daemon=True)
    thread.start()
    if not done.wait(timeout):
        with _stuck_lock:
            _stuck.add(thread)
        raise SecretsError(
            f"the keyring did not answer within {timeout:g} s (a Secret Service that hangs, "
            f"often a locked collection waiting for a prompt nobody can see). {_choices()}"
        )
    if error:
        exc = error.pop()
        try:
            raise exc
        finally:
            del exc  # no cycle through this frame: whatever the call held is freed at once
    return result[0]


def _describe(exc: BaseException) -> str:
    text = logs.redact(str(exc)).strip().rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _fail(exc: BaseException, doing: str, backend: str) -> SecretsError:
    """The operator's sentence for a keyring failure."""
    if isinstance(exc, SecretsError):
        return exc
    if isinstance(exc, keyring.errors.KeyringLocked):
        return SecretsError(
            f"the keyring ({backend}) is locked and was not unlocked while {doing} (the unlock "
            f"prompt was dismissed or cannot be shown here). {_choices()}"
        )
    if isinstance(exc, keyring.errors.NoKeyringError):
        return SecretsError(f"{_refusal(fail.Keyring())} {_choices()}")
    return SecretsError(
        f"the keyring ({backend}) failed while {doing}: {_describe(exc)}. {_choices()}"
    )


def _detect(timeout: float) -> tuple[Backend, list[Backend]]:
    """The keyring's chosen backend and the members of it we may use.

    Detection asks each backend whether it is viable, which talks to D-Bus: it runs under the
    timeout like every other keyring call.
    """

    def detect() -> tuple[Backend, list[Backend]]:
        try:
            backend = keyring.get_keyring()
            return backend, _safe_backends(backend)
        except Exception as exc:
            reason = _describe(exc)
        chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
        where = f"PYTHON_KEYRING_BACKEND={chosen}" if chosen else "the configured keyring"
        raise SecretsError(f"{where} cannot be used ({reason}). {_choices()}")

    return _run(detect, timeout)


def _call(call: Callable[[], _T], backend: Backend, doing: str, timeout: float) -> _T:
    """One keyring operation under the timeout; a failure becomes a SecretsError.

    The SecretsError is raised outside the `except` so it keeps no link to the original
    exception, whose frames may hold the password or an open D-Bus connection.
    """
    try:
        return _run(call, timeout)
    except Exception as exc:
        failure = _fail(exc, doing, _backend_name(backend))
    raise failure


def _unusable(backend: Backend) -> str:
    reason = _refusal(backend) or (
        "every keyring backend available here would store passwords in plain text, which "
        "tui-inventory refuses."
    )
    return f"{reason} {_choices()}"


def _backends(timeout: float) -> list[Backend]:
    """The usable backends, highest priority first; raises SecretsError when there are none."""
    backend, usable = _detect(timeout)
    if not usable:
        raise SecretsError(_unusable(backend))
    return usable


def _api(api: str) -> str:
    if api not in PASSWORD_ENV:
        raise ValueError(f"unknown API {api!r}; expected one of {', '.join(PASSWORD_ENV)}")
    return api


def _env_password(api: str) -> str | None:
    value = os.environ.get(PASSWORD_ENV[_api(api)])
    return value or None


def _keyring_get(backends: list[Backend], user: str, doing: str, timeout: float) -> str | None:
    for backend in backends:
        value = _call(partial(backend.get_password, SERVICE, user), backend, doing, timeout)
        if value is not None:
            logs.register_secret(value)
            return value
    return None


def keyring_status(timeout: float = 5.0) -> KeyringStatus:
    """Whether the keyring can hold passwords now: a secure backend that answers, unlocked.

    Reads an entry nobody stores, which is what unlocks (or fails to unlock) the collection.
    """
    try:
        backend, usable = _detect(timeout)
    except SecretsError as exc:
        return KeyringStatus(False, "unknown", exc.message)
    if not usable:
        return KeyringStatus(False, _backend_name(backend), _unusable(backend))
    name = _backend_name(usable[0])
    try:
        _keyring_get(usable, _PROBE_USER, "checking that it answers", timeout)
    except SecretsError as exc:
        return KeyringStatus(False, name, exc.message)
    return KeyringStatus(True, name, f"passwords are kept in the keyring ({name})")


def get_password(api: str, timeout: float = 5.0) -> str | None:
    """The API's password: the environment variable first, then the keyring; None when unset.

    Raises SecretsError when the keyring is unusable, locked or does not answer in time.
    """
    value = _env_password(api)
    if value is not None:
        logs.register_secret(value)
        return value
    doing = f"reading the password for {api.upper()}"
    return _keyring_get(_backends(timeout), api, doing, timeout)


def set_password(api: str, password: str, timeout: float = 5.0) -> str:
    """Save the API's password in the keyring and read it back; returns what was done.

    Raises SecretsError when the password is empty, the keyring is unusable, or the password
    read back differs from the one saved: never reports success it did not verify.
    """
    _api(api)
    label = api.upper()
    if not password:
        raise SecretsError(f"refusing to save an empty password for {label}")
    logs.register_secret(password)
    backend = _backends(timeout)[0]
    name = _backend_name(backend)
    doing = f"saving the password for {label}"
    _call(partial(backend.set_password, SERVICE, api, password), backend, doing, timeout)
    stored = _call(partial(backend.get_password, SERVICE, api), backend, doing, timeout)
    if stored != password:
        raise SecretsError(
            f"the keyring ({name}) accepted the password for {label} but did not return it when "
            "read back; it is not saved"
        )
    sentence = f"password for {label} saved in the keyring ({name})"
    if _env_password(api) is not None:
        sentence += f"; {PASSWORD_ENV[api]} is set and is used instead while it stays set"
    return sentence


def delete_password(api: str, timeout: float = 5.0) -> None:
    """Remove the API's password from the keyring; nothing to remove is not an error."""
    _api(api)
    label = api.upper()
    for backend in _backends(timeout):
        doing = f"deleting the password for {label}"
        if _call(partial(backend.get_password, SERVICE, api), backend, doing, timeout) is None:
            continue
        _call(partial(backend.delete_password, SERVICE, api), backend, doing, timeout)
        if _call(partial(backend.get_password, SERVICE, api), backend, doing, timeout) is not None:
            name = _backend_name(backend)
            raise SecretsError(f"the keyring ({name}) still holds the password for {label}")


def password_source(api: str) -> str:
    """Where the API's password comes from: "environment", "keyring" or "none" (never the value).

    Raises SecretsError when the keyring must be asked and cannot answer.
    """
    if _env_password(api) is not None:
        return "environment"
    return "keyring" if get_password(api) is not None else "none"


# -- the events token (SPEC §10): the secret path segment of the listener's callback address ----

EVENTS_TOKEN_ENV = "TUI_INVENTORY_EVENTS_TOKEN"
EVENTS_USER = "events"  # its keyring entry, beside the APIs' passwords


def events_token(timeout: float = 5.0) -> str:
    """The listener's secret token: the environment variable, else the keyring entry `events`,
    made (a random URL-safe secret) and saved there on first use. Registered with the log
    redaction whichever way it came. Raises SecretsError when the keyring cannot keep it, saying
    why in one sentence and what to do: set TUI_INVENTORY_EVENTS_TOKEN (the TMF passwords'
    remedies, which the keyring's own message lists, do not serve the token)."""
    value = os.environ.get(EVENTS_TOKEN_ENV) or None
    if value is not None:
        logs.register_secret(value)
        return value
    try:
        return _keyring_token(timeout)
    except SecretsError as exc:
        if EVENTS_TOKEN_ENV in exc.message:
            raise
        why = (
            exc.message.split(". ", 1)[0].rstrip(".").removeprefix("no usable keyring was found: ")
        )
        raise SecretsError(
            f"no keyring can keep the events token — {why}; set {EVENTS_TOKEN_ENV} to a secret "
            "of your own (the same for every process that listens), or run with a keyring"
        ) from None


def _keyring_token(timeout: float) -> str:
    backends = _backends(timeout)
    value = _keyring_get(backends, EVENTS_USER, "reading the events token", timeout)
    if value is not None:
        return value
    value = token_urlsafe(32)
    logs.register_secret(value)
    backend = backends[0]
    doing = "saving the events token"
    _call(partial(backend.set_password, SERVICE, EVENTS_USER, value), backend, doing, timeout)
    if _call(partial(backend.get_password, SERVICE, EVENTS_USER), backend, doing, timeout) != value:
        raise SecretsError(
            f"the keyring ({_backend_name(backend)}) did not keep the events token; set "
            f"{EVENTS_TOKEN_ENV} instead"
        )
    return value
