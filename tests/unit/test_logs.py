"""The log file: where it goes, its levels and rotation, and that no secret ever reaches it."""

from __future__ import annotations

import base64
import logging
import logging.handlers
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tui_inventory import logs

log = logging.getLogger("tui_inventory.tests")


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, logging.getLogger("httpx").level, logging.getLogger("httpcore").level)
    logs.teardown_logging()  # (a test before, in this worker, may have left its log file set up)
    yield
    logs.teardown_logging()
    root.setLevel(saved[0])
    logging.getLogger("httpx").setLevel(saved[1])
    logging.getLogger("httpcore").setLevel(saved[2])


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h in logs._handlers]


def _flush() -> None:
    for handler in _ours():
        handler.flush()


def test_default_file_is_in_the_user_log_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert logs.log_path() is None

    path = logs.setup_logging()
    log.info("console started")
    _flush()

    assert path == tmp_path / "state" / "tui-inventory" / "log" / "tui-inventory.log"
    assert logs.log_path() == path
    assert "console started" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_info_by_default_debug_with_debug(tmp_path: Path) -> None:
    path = logs.setup_logging(path=tmp_path / "a.log")
    log.debug("hidden detail")
    log.info("visible fact")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    _flush()
    text = path.read_text()
    assert "visible fact" in text
    assert "hidden detail" not in text

    logs.setup_logging(path=tmp_path / "a.log", debug=True)
    log.debug("now shown")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG
    _flush()
    assert "now shown" in path.read_text()


def test_calling_twice_adds_no_handler(tmp_path: Path) -> None:
    before = len(logging.getLogger().handlers)
    logs.setup_logging(path=tmp_path / "a.log")
    logs.setup_logging(path=tmp_path / "a.log", debug=True)
    assert len(logging.getLogger().handlers) == before + 1

    logs.setup_logging(path=tmp_path / "b.log", stream=True)
    assert len(logging.getLogger().handlers) == before + 2
    assert logs.log_path() == tmp_path / "b.log"

    logs.setup_logging(path=tmp_path / "b.log")
    assert len(logging.getLogger().handlers) == before + 1


def test_rotation_is_configured_and_happens(tmp_path: Path) -> None:
    path = logs.setup_logging(path=tmp_path / "rot.log")
    (handler,) = _ours()
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert handler.maxBytes == 2 * 1024 * 1024
    assert handler.backupCount == 5

    line = "x" * 1000
    for _ in range(2200):
        log.info(line)
    _flush()
    assert (tmp_path / "rot.log.1").exists()
    assert path.stat().st_size < 2 * 1024 * 1024
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the file opened after the rotation too


def test_secrets_and_basic_auth_never_reach_the_file(tmp_path: Path) -> None:
    path = logs.setup_logging(path=tmp_path / "s.log", debug=True)
    password, other = "Tr0ub4dor&3", "c0rrect-h0rse"
    logs.register_secret(password)
    logs.register_credentials("alice", other)
    b64_alice = base64.b64encode(f"alice:{other}".encode()).decode()
    b64_bob = base64.b64encode(f"bob:{password}".encode()).decode()  # a user never registered
    b64_unknown = base64.b64encode(b"carol:never-registered").decode()

    log.info("password is %s", password)
    log.info("config %r", {"tmf638": {"password": password, "username": "alice"}})
    log.info(f"inline {other} in the message")
    log.info("header Authorization: Basic %s sent", b64_alice)
    log.info("headers %r", {"authorization": f"Basic {b64_unknown}"})
    log.debug("raw headers [(b'Authorization', b'Basic %s')]", b64_unknown)
    log.info("token %s on its own", b64_bob)
    log.warning("url https://alice:%s@example.test/", other)
    try:
        raise RuntimeError(f"login refused for alice:{other} ({b64_alice})")
    except RuntimeError:
        log.exception("request failed with %s", password)
    log.info("query %s", urlencode({"pw": password}), stack_info=True)
    _flush()

    text = path.read_text()
    for secret in (password, other, b64_alice, b64_bob, b64_unknown, "Tr0ub4dor%263"):
        assert secret not in text
    assert "RuntimeError: login refused for alice:***" in text
    assert "Traceback (most recent call last)" in text
    assert text.count("***") >= 10
    assert "Authorization: ***" in text


def test_httpx_basic_auth_request_is_redacted_in_debug(tmp_path: Path) -> None:
    path = logs.setup_logging(path=tmp_path / "h.log", debug=True)
    logs.register_credentials("svc-user", "http-pw-123")

    def answer(request: httpx.Request) -> httpx.Response:
        logging.getLogger("httpx").debug("sent headers %s", dict(request.headers))
        return httpx.Response(200, json=[])

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        client.get("https://api.example.test/service", auth=("svc-user", "http-pw-123"))
    _flush()

    text = path.read_text()
    assert "sent headers" in text
    assert base64.b64encode(b"svc-user:http-pw-123").decode() not in text
    assert "http-pw-123" not in text


def test_redact_leaves_ordinary_text_alone() -> None:
    logs.register_secret("zq-unique-secret")
    text = "Basic settings saved; authentication failed for TMF638 (HTTP 401) on page 3"
    assert logs.redact(text) == text
