"""Settings: the TOML file, every key of the specification, its validation.

Passwords are not settings: they live in the keyring (see `secrets`). This module refuses to write
anything that looks like one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import tomllib
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
import tomlkit
import tomlkit.exceptions

from tui_inventory.errors import ConfigError
from tui_inventory.files import write_text
from tui_inventory.text import plain

APP_NAME = "tui-inventory"
CONFIG_ENV = "TUI_INVENTORY_CONFIG"
DB_ENV = "TUI_INVENTORY_DB"

DEFAULT_TMF639_URL = "https://mintapi.dbb-oa-dev.az.ses/gstm/dataminer/tmf/api/v1/tmf639"

MIN_UPDATE_FREQUENCY = 3600
MAX_UPDATE_FREQUENCY = 432000
DIALECTS = ("ses", "tmf630")
APIS = ("tmf638", "tmf639")
DEFAULT_EVENTS_LISTEN = "0.0.0.0:8639"


@dataclass(frozen=True)
class Key:
    """One setting: its dotted name, type, default and the sentence the console shows for it."""

    name: str
    kind: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def attr(self) -> str:
        return self.name.split(".", 1)[1]


KEYS: tuple[Key, ...] = (
    Key(
        "tmf638.url",
        str,
        None,
        "Base URL of the TMF638 API (services and carriers); port 443 when none is given.",
    ),
    Key("tmf638.username", str, None, "Basic-auth user for TMF638."),
    Key("tmf638.services_path", str, "/service", "Collection path of services."),
    Key("tmf638.carriers_path", str, "/carrier", "Collection path of carriers."),
    Key("tmf639.url", str, DEFAULT_TMF639_URL, "Base URL of the TMF639 API (resources)."),
    Key("tmf639.username", str, None, "Basic-auth user for TMF639."),
    Key("tmf639.resources_path", str, "/resource", "Collection path of resources."),
    Key(
        "http.bypass_proxy",
        bool,
        False,
        "Ignore proxy environment variables (the connector's BypassProxy).",
    ),
    Key("http.verify_tls", bool, True, "Verify the servers' TLS certificates."),
    Key("http.ca_bundle", str, None, "A CA file to verify the servers against."),
    Key("http.timeout", float, 30.0, "Seconds per request."),
    Key("sync.update_frequency", int, 3600, "Seconds between periodic updates (3600–432000)."),
    Key("sync.records_per_page", int, 50, "Page size."),
    Key(
        "sync.page_concurrency",
        int,
        4,
        "Pages in flight at once (1 pages strictly one after another).",
    ),
    Key(
        "sync.dialect",
        str,
        "ses",
        "API dialect: ses (the operator's gateway) or tmf630 (a standard TM Forum server).",
        DIALECTS,
    ),
    Key(
        "sync.max_delete_fraction",
        float,
        0.5,
        "A cleanup that would remove more than this share of a type is held back.",
    ),
    Key(
        "ops.listen",
        str,
        None,
        "HOST:PORT of the daemon's /metrics, /livez and /readyz; off when empty.",
    ),
    Key("events.enabled", bool, False, "Listen for the upstream's event notifications (SPEC §10)."),
    Key("events.listen", str, DEFAULT_EVENTS_LISTEN, "The event listener's address (host:port)."),
    Key(
        "events.callback_url",
        str,
        None,
        "The address the upstream reaches the listener at; default http://<hostname>:<port>.",
    ),
)
KEYS_BY_NAME = {k.name: k for k in KEYS}


@dataclass
class Tmf638Settings:
    url: str | None = None
    username: str | None = None
    services_path: str = "/service"
    carriers_path: str = "/carrier"


@dataclass
class Tmf639Settings:
    url: str | None = DEFAULT_TMF639_URL
    username: str | None = None
    resources_path: str = "/resource"


@dataclass
class HttpSettings:
    bypass_proxy: bool = False
    verify_tls: bool = True
    ca_bundle: str | None = None
    timeout: float = 30.0


@dataclass
class SyncSettings:
    update_frequency: int = 3600
    records_per_page: int = 50
    page_concurrency: int = 4
    dialect: str = "ses"
    max_delete_fraction: float = 0.5


@dataclass(frozen=True)
class Problem:
    """A value in the settings file that was refused: kept as written, with the reason, so the
    file can be shown and mended (`config set`, the console's Settings) instead of locking the
    operator out."""

    raw: Any
    message: str


@dataclass
class OpsSettings:
    listen: str | None = None


@dataclass
class EventsSettings:
    enabled: bool = False
    listen: str = DEFAULT_EVENTS_LISTEN
    callback_url: str | None = None

    def listen_address(self) -> tuple[str, int]:
        """`events.listen` as (host, port); the value is validated when set."""
        return parse_listen(self.listen, "events.listen")

    def callback_base(self, bound_port: int | None = None) -> str:
        """The callback address without the token: the setting, or http://<hostname>:<port>
        (`bound_port`: the port the listener got, when `events.listen` asked for any)."""
        if self.callback_url:
            return self.callback_url.rstrip("/")
        host, port = self.listen_address()
        port = bound_port or port
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"


@dataclass
class Config:
    tmf638: Tmf638Settings = field(default_factory=Tmf638Settings)
    tmf639: Tmf639Settings = field(default_factory=Tmf639Settings)
    http: HttpSettings = field(default_factory=HttpSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    ops: OpsSettings = field(default_factory=OpsSettings)
    events: EventsSettings = field(default_factory=EventsSettings)
    path: Path | None = None
    # Refused values of a file loaded leniently, by dotted name (the key keeps its default).
    problems: dict[str, Problem] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        key = _key(name)
        return getattr(getattr(self, key.section), key.attr)

    def set(self, name: str, value: Any) -> None:
        """Set one key from a typed value or a string, validated; raises ConfigError."""
        key = _key(name)
        parsed = parse_value(key, value)
        validate_value(key, parsed)
        setattr(getattr(self, key.section), key.attr, parsed)
        self.problems.pop(name, None)

    def bad_values(self) -> list[str]:
        """The known keys whose value in the file was refused (unknown keys are only kept)."""
        return sorted(name for name in self.problems if name in KEYS_BY_NAME)

    def url_for(self, api: str) -> str | None:
        return self.tmf638.url if api == "tmf638" else self.tmf639.url

    def username_for(self, api: str) -> str | None:
        return self.tmf638.username if api == "tmf638" else self.tmf639.username

    def path_for(self, kind: str) -> str:
        return {
            "services": self.tmf638.services_path,
            "carriers": self.tmf638.carriers_path,
            "resources": self.tmf639.resources_path,
        }[kind]

    def to_dict(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key in KEYS:
            value = self.get(key.name)
            if value is not None:
                out.setdefault(key.section, {})[key.attr] = value
        # A refused value is written back as it was: saving another key loses nothing.
        for name, problem in self.problems.items():
            section, attr = name.split(".", 1)
            out.setdefault(section, {})[attr] = problem.raw
        return out


def _key(name: str) -> Key:
    try:
        return KEYS_BY_NAME[name]
    except KeyError:
        known = ", ".join(KEYS_BY_NAME)
        raise ConfigError(f"unknown setting {name!r}; known settings: {known}") from None


def parse_value(key: Key, value: Any) -> Any:
    """Turn a value (often a string typed by the operator) into the key's type."""
    if value is None or (isinstance(value, str) and value.strip() == "" and key.default is None):
        return None
    try:
        if key.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if key.kind is int:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if key.kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        # A TOML table, array, boolean or date is not text, whatever str() makes of it.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        return str(value).strip()
    except (TypeError, ValueError):
        kinds = {bool: "true or false", int: "a whole number", float: "a number"}
        kind = kinds.get(key.kind, "text")
        raise ConfigError(f"{key.name} must be {kind}, not {str(value)[:40]!r}") from None


def validate_value(key: Key, value: Any) -> None:
    """Refuse a value the sync could not work with, in one sentence."""
    name = key.name
    if value is None:
        return
    if isinstance(value, str) and _CONTROL.search(value):
        # Invisible in a field and on most terminals, yet sent as they are: a BEL pasted into a
        # user name made every sync fail with 401 and nothing on screen said why.
        shown = plain(value.replace("\t", "\u2409"), limit=80)
        raise ConfigError(
            f"{name} must not contain control characters (ESC, BEL…), shown here as symbols: "
            f"{shown}; type it again without them"
        )
    if name == "sync.update_frequency" and not (
        MIN_UPDATE_FREQUENCY <= value <= MAX_UPDATE_FREQUENCY
    ):
        raise ConfigError(
            f"sync.update_frequency must be between {MIN_UPDATE_FREQUENCY} and "
            f"{MAX_UPDATE_FREQUENCY} seconds, not {value}"
        )
    if name == "sync.records_per_page" and not 1 <= value <= 10000:
        raise ConfigError(f"sync.records_per_page must be between 1 and 10000, not {value}")
    if name == "sync.page_concurrency" and not 1 <= value <= 32:
        raise ConfigError(f"sync.page_concurrency must be between 1 and 32, not {value}")
    if name == "sync.max_delete_fraction" and not 0.0 <= value <= 1.0:
        raise ConfigError(f"sync.max_delete_fraction must be between 0 and 1, not {_number(value)}")
    # The open bound in words: "between 0 and 3600" would read as if 0 were allowed.
    if name == "http.timeout" and not 0 < value <= 3600:
        raise ConfigError(
            f"http.timeout must be greater than 0 and at most 3600 seconds, not {_number(value)}"
        )
    if key.choices and value not in key.choices:
        raise ConfigError(f"{name} must be one of {', '.join(key.choices)}, not {value!r}")
    if name.endswith(".url") or name == "events.callback_url":
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535
        except ValueError:
            raise ConfigError(f"{name} is not a valid URL: {value[:80]!r}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{name} must be an http:// or https:// URL, not {value[:80]!r}")
        if parts.username is not None or parts.password is not None:
            raise ConfigError(
                f"{name} must not carry credentials; set {key.section}.username and the "
                "password with `tui-inventory config set-password`"
            )
    if name.endswith("_path") and not value.startswith("/"):
        raise ConfigError(f"{name} must start with '/', not {value!r}")
    if name == "http.ca_bundle" and not Path(value).expanduser().is_file():
        raise ConfigError(f"http.ca_bundle names no readable file: {value}")
    if name in ("ops.listen", "events.listen"):
        parse_listen(value, name)


def parse_listen(value: str, name: str = "ops.listen") -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets: `[::1]:9464`) as (host, port); port 0 takes any
    free port. Raises ConfigError in one sentence."""
    host, sep, port = value.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(
            f"{name} must be HOST:PORT (e.g. 127.0.0.1:9464 or [::1]:9464), not {value[:80]!r}"
        )
    return host, int(port)


def _number(value: float) -> str:
    """A refused number as the operator typed it: `0`, not `0.0`."""
    return str(int(value)) if value.is_integer() else str(value)


def default_config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_db_url() -> str:
    env = os.environ.get(DB_ENV)
    if env:
        return env
    return str(Path(platformdirs.user_data_dir(APP_NAME)) / "inventory.db")


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME))


def load_config(path: Path | str | None = None, *, lenient: bool = False) -> Config:
    """Read the TOML file (a missing file gives the defaults); every value is validated.

    `lenient` keeps a refused value (a bad value, an unknown key) in `Config.problems` instead of
    raising, for the commands that show and mend the file; a file that is not TOML, or holds a
    password, is refused either way."""
    cfg_path = Path(path).expanduser() if path else default_config_path()
    cfg = Config(path=cfg_path)
    if not cfg_path.exists():
        return cfg
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration file {cfg_path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the configuration file {cfg_path} is not valid TOML: {exc}") from None
    for section, values in data.items():
        if section.lower() == "password":
            raise ConfigError(
                f"{cfg_path}: passwords do not belong in the configuration file; remove "
                "password and use `tui-inventory config set-password {tmf638,tmf639}`"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{cfg_path}: [{section}] must be a table of settings")
        for attr, value in values.items():
            if attr.lower() == "password":
                raise ConfigError(
                    f"{cfg_path}: passwords do not belong in the configuration file; remove "
                    f"{section}.password and use `tui-inventory config set-password {section}`"
                )
            name = f"{section}.{attr}"
            try:
                cfg.set(name, value)
            except ConfigError as exc:
                if lenient:
                    cfg.problems[name] = Problem(value, exc.message)
                    continue
                mend = (
                    f"mend it with `tui-inventory config set {name} VALUE` or in the console's "
                    "Settings"
                    if name in KEYS_BY_NAME
                    else "remove it from the file"
                )
                raise ConfigError(f"{cfg_path}: {exc.message} ({mend})") from None
    return cfg


# A database address that starts like a URL (`scheme://`, `scheme:/`) but is none of the forms
# below is a typo (`postgresq://`, `mysql://`), never a file name: taken as a path it would become
# a SQLite file tree under the current directory, and a sync would go there unnoticed.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 (tab and newline too), DEL, C1
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")
DB_FORMS = "a SQLite file path, sqlite:////ABSOLUTE/PATH (four slashes), or a postgresql:// URL"


def db_url_problem(url: str) -> str | None:
    """Why `url` cannot be a database address (one sentence, any password masked), or None."""
    if url.startswith(("postgresql://", "postgres://", "sqlite:///")) or not _URL_LIKE.match(url):
        return None
    shown = url
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        if parts.password is not None:
            shown = url.replace(f":{parts.password}@", ":***@", 1)
    return f"{plain(shown)} is not a database address this program opens: give {DB_FORMS}"


def resolve_db(args: argparse.Namespace) -> str:
    """The store a command works on: `--db`, else TUI_INVENTORY_DB, else the default file.
    A mistyped URL is refused (`db_url_problem`), naming where it came from."""
    url = str(args.db or default_db_url())
    problem = db_url_problem(url)
    if problem is not None:
        source = "--db" if args.db else DB_ENV
        raise ConfigError(f"{problem} (check {source})")
    return url


def resolve_config(args: argparse.Namespace, *, lenient: bool = False) -> Config:
    """The settings a command works with: `--config`, else the default file (`lenient`: see
    `load_config`)."""
    return load_config(Path(args.config) if args.config else None, lenient=lenient)


def save_config(cfg: Config, path: Path | None = None) -> Path:
    """Write the settings as `git config` does: only what changed, in the file as it was (its
    comments, order and other keys kept); no default the operator did not choose (so a later
    version's better default reaches them). Atomically, through a symlink, keeping the mode
    (`files.write_text`)."""
    target = path or cfg.path or default_config_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = _document(target)
    defaults = Config()
    wanted = cfg.to_dict()
    for key in KEYS:
        value = wanted.get(key.section, {}).get(key.attr)
        found = doc.get(key.section)
        table = found if isinstance(found, MutableMapping) else None
        present = table is not None and key.attr in table
        if value is None:
            if table is not None and present:
                del table[key.attr]
            continue
        if table is not None and present and table[key.attr] == value:
            continue  # unchanged: its line stays as written
        if not present and key.name not in cfg.problems and value == defaults.get(key.name):
            continue  # a default the operator did not choose
        if table is None:
            table = tomlkit.table()
            doc[key.section] = table
        table[key.attr] = value
    with write_text(target) as fh:
        fh.write(tomlkit.dumps(doc))
    cfg.path = target
    return target


def _document(path: Path) -> tomlkit.TOMLDocument:
    """The settings file as an editable document (comments and layout kept), or a new one."""
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomlkit.exceptions.TOMLKitError):
        return tomlkit.document()
