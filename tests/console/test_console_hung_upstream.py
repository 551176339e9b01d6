"""An upstream that accepts connections and never answers (tester2 #4): `c` and quitting abandon
the request in flight at once instead of waiting out `http.timeout` (30 s); the run is recorded
cancelled (its page was not stored, so a buildup resumes before it). The dashboard says how long
the page has been awaited."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import last_result, make_app, runs_ended, wait_for
from textual.widgets import Static

from tui_inventory.app import panel

STILL = {"services": 30, "carriers": 10, "resources": 30, "seed": 5}


class SilentListener:
    """A real TCP listener that accepts every connection, reads nothing and answers nothing."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()

    def settings(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}"
        return {"tmf638.url": url + "/tmf638", "tmf639.url": url + "/tmf639", "http.timeout": 30}


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    listener = SilentListener()
    yield listener
    listener.close()


async def test_cancel_abandons_a_page_the_upstream_never_answers(
    make_sim: Any, tmp_path: Path, silent: SilentListener
) -> None:
    app = make_app(make_sim(**STILL), tmp_path, settings=silent.settings(), autostart=False)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: len(silent.accepted) >= 1, 10, "a request in flight")
        await pilot.press("c")
        await ended.wait(pilot, 1, timeout=3, what="the run to end soon after c")
        result = last_result(ended)
        assert result is not None and result.state == "cancelled"


async def test_quitting_abandons_a_page_the_upstream_never_answers(
    make_sim: Any, tmp_path: Path, silent: SilentListener
) -> None:
    app = make_app(make_sim(**STILL), tmp_path, settings=silent.settings(), autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: len(silent.accepted) >= 1, 10, "a request in flight")
        await pilot.press("q", "y")
        await wait_for(pilot, lambda: not app.is_running, 5, "the console to quit")
    assert app.sync.wait_idle(5.0), "the sync still waits for the silent upstream"
    assert app.store.runs(1)[0]["state"] == "cancelled"


async def test_the_card_says_how_long_a_page_has_been_awaited(
    make_sim: Any, tmp_path: Path, silent: SilentListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panel, "AWAITED_SHOWN", 1.0)  # 10 s in the product
    app = make_app(make_sim(**STILL), tmp_path, settings=silent.settings(), autostart=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("b")
        card = app.dashboard.query_one("#panel-services", panel.InventoryPanel)
        detail = card.query_one(".detail", Static)

        def says() -> str:
            return str(detail.render())

        await wait_for(pilot, lambda: "waiting for TMF638 for " in says(), 10, "the wait said")
        assert "building" in str(card.query_one(".state", Static).render())
        await pilot.press("c")
