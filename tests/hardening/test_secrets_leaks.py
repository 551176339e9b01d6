"""Secrets: after full runs with failures (a gap, a 502, a 429, a wrong password, a crash), no
password, no basic-auth `user:password` base64 and no session cookie the upstream handed out is in
the config file, the database, the log files, the exported files, the commands' output or a crash
report, even one rendered with every frame's local variables.

tests/e2e/test_cli.py proves the passwords' absence after a plain failing run; this adds the upstream's
session cookies, a crash, the exports of every format, and crash reports with locals.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import secrets
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from hostile import SimUpstream, engine_for, hooked_path, serve, settings_for
from rich.console import Console
from rich.traceback import Traceback

from tui_inventory import logs
from tui_inventory.simulator import PASSWORDS, USERNAMES
from tui_inventory.store.repo import Store

CLI = [sys.executable, "-m", "tui_inventory"]
WRONG_PASSWORD = "wrong-Secret-value-42"


class Cookies:
    """Wraps an ASGI app: every response sets two session cookies of its own (as ServiceNow
    does), recorded so the test knows every value handed out."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.values: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def send_with_cookies(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                session, store = secrets.token_hex(16), secrets.token_urlsafe(24)
                self.values += [session, store]
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"set-cookie", f"JSESSIONID={session}; Path=/; HttpOnly".encode()),
                        (b"set-cookie", f"glide_session_store={store}; Path=/".encode()),
                    ],
                }
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def secret_forms(cookies: list[str]) -> list[bytes]:
    """Every spelling of a secret that must not be found: passwords, their basic-auth base64
    (with each API's user), the Authorization header, the cookie values."""
    forms: list[bytes] = []
    for password in [*PASSWORDS.values(), WRONG_PASSWORD]:
        forms.append(password.encode())
        for user in USERNAMES.values():
            token = base64.b64encode(f"{user}:{password}".encode())
            forms += [token, b"Basic " + token]
    forms += [value.encode() for value in cookies]
    return forms


def assert_clean(where: str, content: bytes, forms: list[bytes]) -> None:
    for form in forms:
        assert form not in content, f"{form[:12]!r}... found in {where}"


@pytest.fixture
def upstream() -> Iterator[tuple[SimUpstream, Cookies, str]]:
    sim = SimUpstream(services=60, carriers=60, resources=60)
    cookies = Cookies(sim.app())
    with serve(cookies) as url:  # type: ignore[arg-type]
        yield sim, cookies, url


def _env(home: Path, **passwords: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        TUI_INVENTORY_TMF638_PASSWORD=passwords.get("tmf638", PASSWORDS["tmf638"]),
        TUI_INVENTORY_TMF639_PASSWORD=passwords.get("tmf639", PASSWORDS["tmf639"]),
    )
    return env


# A store with a bug on the third page it stores: the crash an operator would report. Installed in
# every process of the sync (a buildup's pages are stored by a process of their own).
STORE_BUG = """
from tui_inventory.store.repo import Store

original, calls = Store.store_page, []

def store_page(self, *args, **kwargs):
    calls.append(1)
    if len(calls) == 3:
        raise RuntimeError("a bug in the store")
    return original(self, *args, **kwargs)

Store.store_page = store_page
"""


@pytest.mark.slow
def test_no_secret_in_config_database_logs_exports_output_or_crash_report(
    upstream: tuple[SimUpstream, Cookies, str], tmp_path: Path
) -> None:
    sim, cookies, url = upstream
    sim.faults.add("carriers", 2, "504", times=-1)  # a gap
    sim.faults.add("resources", 3, "502")  # a type given up
    sim.faults.add("services", 2, "429", times=1, retry_after="0")  # a rate limit
    config = tmp_path / "config.toml"
    data: dict[str, dict[str, Any]] = {}
    settings = {**settings_for(url), "sync.records_per_page": 20, "http.timeout": 5}
    for name, value in settings.items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    config.write_text(tomli_w.dumps(data))
    db = tmp_path / "inventory.db"
    env = _env(tmp_path)
    base = [*CLI, "--debug", "--config", str(config), "--db", str(db)]
    outputs: dict[str, str] = {}

    def run(name: str, args: list[str], environment: dict[str, str] = env) -> int:
        done = subprocess.run(args, env=environment, capture_output=True, text=True, timeout=120)
        outputs[name] = done.stdout + done.stderr
        return done.returncode

    assert run("buildup", [*base, "sync", "--once", "--buildup"]) == 1
    wrong = _env(tmp_path, tmf638=WRONG_PASSWORD)
    assert run("wrong password", [*base, "sync", "--once", "--update"], wrong) == 1
    assert "authentication failed for TMF638" in outputs["wrong password"]
    buggy = {**env, "PYTHONPATH": hooked_path(tmp_path / "store-bug", STORE_BUG)}
    assert run("crash", [*base, "sync", "--once", "--buildup"], buggy) == 1
    assert "RuntimeError: a bug in the store" in outputs["crash"]  # the crash report
    exports = {
        "services": ("json", tmp_path / "services.json"),
        "carriers": ("csv", tmp_path / "carriers.csv"),
        "resources": ("jsonl", tmp_path / "resources.jsonl"),
    }
    for kind, (fmt, path) in exports.items():
        assert run(f"export {kind}", [*base, "export", kind, "--format", fmt, "-o", str(path)]) == 0
    key = next(iter(Store(str(db)).keys("services")))
    assert run("history", [*base, "history", "services", key, "--json"]) == 0
    assert run("status", [*base, "status", "--json"]) == 0
    assert run("config show", [*base, "config", "show"]) == 0

    assert len(cookies.values) > 50  # the upstream really handed out sessions
    forms = secret_forms(cookies.values)
    files = [config, *tmp_path.glob("inventory.db*"), *(p for _, p in exports.values())]
    files += [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    log_files = [p for p in files if ".log" in p.name]
    assert log_files, "the commands wrote their log file"
    assert any("set-cookie" in p.read_text(errors="replace").lower() for p in log_files), (
        "the --debug log shows the response headers (so their redaction is what is tested)"
    )
    for path in files:
        assert_clean(str(path), path.read_bytes(), forms)
    for name, text in outputs.items():
        assert_clean(f"the output of {name}", text.encode(), forms)


def _walk(exc: BaseException) -> Iterator[Any]:
    """Every frame of `exc`'s traceback and of the exceptions chained to it."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        tb = item.__traceback__
        while tb is not None:
            yield tb.tb_frame
            tb = tb.tb_next
        todo += [item.__cause__, item.__context__]


def crash_reports(exc: BaseException, tmp_path: Path) -> dict[str, str]:
    """The crash reports an operator could send: a rich traceback with every frame's locals (what
    Textual prints by default), the stdlib traceback, and `logging.exception` into the log file."""
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    console.print(
        Traceback.from_exception(type(exc), exc, exc.__traceback__, show_locals=True, max_frames=0)
    )
    log_file = logs.setup_logging(path=tmp_path / "crash.log", debug=True)
    try:
        logging.getLogger("tui_inventory.test").error("the sync crashed", exc_info=exc)
    finally:
        logs.teardown_logging()
    frames = "\n".join(repr(frame.f_locals) for frame in _walk(exc))
    return {
        "rich traceback with locals": console.export_text(),
        "stdlib traceback": "".join(traceback.format_exception(exc)),
        "log file": log_file.read_text(),
        "the frames' locals": frames,
    }


def test_a_crash_mid_run_reports_no_secret_even_with_locals(
    upstream: tuple[SimUpstream, Cookies, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cookies, url = upstream
    monkeypatch.setenv("PYTHONPATH", hooked_path(tmp_path / "store-bug", STORE_BUG))
    with Store(str(tmp_path / "inventory.db")) as store:
        engine = engine_for(settings_for(url), store)
        with pytest.raises(RuntimeError) as raised:
            engine.run("buildup")
        engine_attributes = repr(vars(engine))
    # Rendered before this test holds the secrets in a local: its own frame is in the report.
    reports = crash_reports(raised.value, tmp_path)

    assert len(cookies.values) > 0
    forms = secret_forms(cookies.values)
    assert "a bug in the store" in reports["rich traceback with locals"]
    # Locals were rendered (either API's client: the two APIs sync side by side).
    assert "TmfClient TMF63" in reports["rich traceback with locals"]
    for name, text in reports.items():
        assert_clean(name, text.encode(), forms)
    assert_clean("the engine's attributes", engine_attributes.encode(), forms)


def test_a_crash_while_the_client_is_made_reports_no_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_client(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("httpx could not start")

    monkeypatch.setattr(httpx.Client, "__init__", broken_client)
    with Store(str(tmp_path / "inventory.db")) as store:
        engine = engine_for(settings_for("http://127.0.0.1:9"), store)
        with pytest.raises(RuntimeError) as raised:
            engine._client("tmf638")  # the one place the password is handed over

    reports = crash_reports(raised.value, tmp_path)
    assert 'tmf/client.py", line' in reports["stdlib traceback"]  # the client's frame is in it
    for name, text in reports.items():
        assert_clean(name, text.encode(), secret_forms([]))
