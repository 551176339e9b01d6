"""The log file every command and the console write, and the redaction that keeps secrets out of it.

One rotating file in the platform's user log directory (or a path given by the caller). Every
handler installed here carries a `RedactingFilter`: passwords registered with `register_secret` or
`register_credentials` (the secrets layer and the HTTP client register what they read), their
basic-auth base64 forms, and any Authorization or cookie header value are replaced with ``***``
in the message, its arguments, the exception traceback and the stack.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus

from tui_inventory import config

LOG_FILE_NAME = "tui-inventory.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
MASK = "***"
FORMAT = "%(asctime)s %(process)d %(levelname)-7s %(name)s: %(message)s"

# Chatty libraries. httpx logs every request at INFO; httpcore traces every socket event at
# DEBUG; peewee logs every SQL statement at DEBUG, which at a million instances would rotate
# anything useful out of the file in seconds, so it stays at INFO even with --debug.
_QUIET_UNLESS_DEBUG = ("httpx", "httpcore")
_ALWAYS_INFO = ("peewee",)

# A header name (as text, in a dict repr or in httpcore's byte tuples) followed by its value.
_HEADER_RE = re.compile(
    r"""(?ix)
    (\b(?:proxy-)?authorization\b|\b(?:set-)?cookie\b)   # the header name
    (['"]?\s*[:=,]\s*(?:(?-i:b)?['"])?)                   # separator, maybe quotes or b'
    ([^'"\r\n]+)                                         # the value, to the quote or line end
    """
)
# A credential after its scheme name; the lookahead spares prose such as "Basic settings".
_SCHEME_RE = re.compile(
    r"\b(Basic|Bearer|Digest)\s+(?=[A-Za-z0-9+/=._~-]*[0-9+/=])[A-Za-z0-9+/=._~-]{4,}"
)
# Candidates for a base64 `user:password` whose user was never registered.
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")

_lock = threading.Lock()
# Replaced whole under the lock, read without it: a reader sees the old or the new pair.
_registered: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)
_handlers: list[logging.Handler] = []


def _forms(value: str) -> set[str]:
    """The spellings a secret can take in a log line: literal, repr/JSON-escaped, URL-encoded."""
    forms = {value, repr(value)[1:-1], ascii(value)[1:-1], json.dumps(value)[1:-1]}
    forms |= {quote(value, safe=""), quote_plus(value, safe="")}
    return {f for f in forms if f}


def _b64_forms(username: str, password: str) -> set[str]:
    out = set()
    for encoding in ("utf-8", "latin-1"):
        try:
            raw = f"{username}:{password}".encode(encoding)
        except UnicodeEncodeError:
            continue
        out.add(base64.b64encode(raw).decode("ascii"))
        out.add(base64.urlsafe_b64encode(raw).decode("ascii"))
    return out


def _add(values: set[str]) -> None:
    global _registered
    with _lock:
        if values <= _registered[0]:
            return
        secrets = _registered[0] | values
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(secrets, key=len, reverse=True)
        _registered = (secrets, re.compile("|".join(re.escape(s) for s in ordered)))


def register_secret(value: str | None) -> None:
    """Never let `value` reach a log line (in any of its usual spellings)."""
    if value:
        _add(_forms(value))


def register_credentials(username: str | None, password: str | None) -> None:
    """Register a password and the base64 `username:password` that basic auth sends."""
    if not password:
        return
    values = _forms(password)
    values |= _b64_forms(username or "", password)
    _add(values)


def _decodes_to_secret(token: str, secrets: frozenset[str]) -> bool:
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    text = raw.decode("utf-8", errors="replace")
    return any(secret in text for secret in secrets)


def redact(text: str) -> str:
    """`text` with every registered secret and credential-bearing header value masked."""
    secrets, pattern = _registered
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _HEADER_RE.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _SCHEME_RE.sub(lambda m: m.group(1) + " " + MASK, text)
    if pattern is not None:
        # Basic auth for a user nobody registered: the base64 decodes to `user:<secret>`.
        text = _BASE64_RE.sub(
            lambda m: MASK if _decodes_to_secret(m.group(0), secrets) else m.group(0), text
        )
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record before any handler formats it.

    The record is rewritten in place (message merged with its arguments, the traceback
    formatted and cached in `exc_text`), so every handler after this one sees the masked text.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} (unformattable arguments {record.args!r})"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates each log file (the first and every one after a rotation) for its owner only:
    the log names hosts, users and inventory data."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def _set_levels(debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO
    logging.getLogger().setLevel(level)
    for handler in _handlers:
        handler.setLevel(level)
    for name in _QUIET_UNLESS_DEBUG:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    for name in _ALWAYS_INFO:
        logging.getLogger(name).setLevel(logging.INFO)


def setup_logging(*, debug: bool = False, path: Path | None = None, stream: bool = False) -> Path:
    """Send every logger's records to the rotating log file (and stderr when `stream`).

    INFO by default, DEBUG with `debug`. Calling it again replaces the handlers it installed
    (or only changes the level when the file and stream are the same), never adds more.
    Returns the log file's path.
    """
    target = (path or config.log_dir() / LOG_FILE_NAME).expanduser().absolute()
    root = logging.getLogger()
    with _lock:
        current = log_path()
        has_stream = any(not isinstance(h, logging.FileHandler) for h in _handlers)
        if current != target or has_stream != stream:
            for handler in _handlers:
                root.removeHandler(handler)
                handler.close()
            _handlers.clear()
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            file_handler = _PrivateRotatingFileHandler(
                target, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
            )
            _handlers.append(file_handler)
            if stream:
                _handlers.append(logging.StreamHandler(sys.stderr))
            for handler in _handlers:
                handler.setFormatter(logging.Formatter(FORMAT))
                handler.addFilter(RedactingFilter())
                root.addHandler(handler)
        _set_levels(debug)
    return target


def log_path() -> Path | None:
    """The file `setup_logging` writes to, or None before it was called."""
    for handler in _handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def teardown_logging() -> None:
    """Remove and close the handlers `setup_logging` installed (tests, and a clean exit)."""
    root = logging.getLogger()
    with _lock:
        for handler in _handlers:
            root.removeHandler(handler)
            handler.close()
        _handlers.clear()
