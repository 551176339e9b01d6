"""With no password to be had (no keyring), the console says why once, fully (the sync log's
paragraph), and tersely elsewhere: one line per inventory card, one toast naming the inventories
once, and later log lines refer to it instead of repeating it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app, runs_ended, screen_text, wait_for
from keyring.backends import fail
from test_console_burst_keys import settle

from tui_inventory import secrets
from tui_inventory.app.dashboard import SyncLog

WHY = "no Secret Service answers on D-Bus"


async def test_no_password_is_explained_once_and_tersely_elsewhere(
    make_sim: Any, tmp_path: Path, use_keyring: Any
) -> None:
    use_keyring(fail.Keyring())
    app = make_app(make_sim(**SMALL), tmp_path, passwords=secrets.get_password)
    ended = runs_ended(app)
    async with app.run_test(size=(100, 50), message_hook=ended) as pilot:
        await ended.wait(pilot, 1, 30, "the buildup to fail")
        await wait_for(pilot, lambda: app._notifications, 5, "the toast")
        await settle(pilot)
        log = "\n".join(line.plain for line in app.main_screen.query_one(SyncLog).lines_kept)
        assert log.count("Choices:") == 1, log  # the paragraph, once
        assert log.count(WHY) == 2, log  # in it, and for the first inventory that failed
        toasts = [n.message for n in app._notifications]
        assert len(toasts) == 1 and toasts[0].count(WHY) == 1, toasts
        assert "services, carriers, resources" in toasts[0]
        lines = screen_text(app).splitlines()
        for title in ("Services", "Carriers", "Resources"):
            card = next(i for i, line in enumerate(lines) if line.startswith(f" {title} "))
            assert "failed" in lines[card] and lines[card].rstrip().endswith("…"), lines[card]
            assert lines[card + 1].lstrip().startswith("0 stored"), lines[card : card + 2]


async def test_events_without_a_keyring_say_once_fully_to_set_the_token_variable(
    make_sim: Any,
    tmp_path: Path,
    use_keyring: Any,
    monkeypatch: Any,
    caplog: Any,
) -> None:
    """The TMF passwords come from elsewhere; only the events token needs a keyring. The console
    says, whole and once, that events are off and that TUI_INVENTORY_EVENTS_TOKEN is the remedy
    (not the keyring's advice for the passwords), on screen and in the log file."""
    use_keyring(fail.Keyring())
    monkeypatch.delenv(secrets.EVENTS_TOKEN_ENV, raising=False)
    settings = {"events.enabled": True, "events.listen": "127.0.0.1:0"}
    app = make_app(make_sim(**SMALL), tmp_path, settings=settings, autostart=False)
    async with app.run_test(size=(120, 50)) as pilot:
        sync_log = app.main_screen.query_one(SyncLog)

        def said() -> list[str]:
            return [line.plain for line in sync_log.lines_kept if "events token" in line.plain]

        await wait_for(pilot, said, 30, "the events to say they are off")
        await settle(pilot)
        assert len(said()) == 1, said()
        line = said()[0]
        assert "events off" in line and WHY in line, line
        assert line.endswith(
            f"set {secrets.EVENTS_TOKEN_ENV} to a secret of your own (the same "
            "for every process that listens), or run with a keyring"
        ), line
        assert "Choices:" not in line and "TUI_INVENTORY_TMF638_PASSWORD" not in line, line
        shown = " ".join(screen_text(app).split())
        assert "or run with a keyring" in shown, screen_text(app)
    logged = [r.getMessage() for r in caplog.records if "events token" in r.getMessage()]
    assert len(logged) == 1 and line.endswith(logged[0]), logged
