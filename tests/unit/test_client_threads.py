"""The client's request helpers (tmf/client.py `_Helper`): a thread per calling thread, reused
from page to page, and ended when the client is closed — a daemon that syncs every hour keeps
no thread of an earlier run."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tui_inventory.simulator import Simulator
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine


def http_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("http-tmf")]


def test_request_helpers_end_with_the_run(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], store: Store
) -> None:
    sim = make_sim(services=200, carriers=50, resources=200)
    before = set(http_threads())
    for mode in ("buildup", "update", "buildup"):
        assert make_engine(sim, store).run(mode).ok

    for thread in set(http_threads()) - before:
        thread.join(timeout=5)
    assert set(http_threads()) - before == set()
