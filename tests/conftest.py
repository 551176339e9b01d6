"""Shared fixtures: the simulator over real HTTP on loopback, a real store on both backends, an engine.

Every test gets its own settings file and log directory (never the developer's), and no password
from the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sim_fixtures import sim_config

from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.tmf.client import RetryPolicy

# pg_fixtures: `store` on both backends; app_fixtures: `pilot_app`
pytest_plugins = ["keyring_fixtures", "pg_fixtures", "app_fixtures"]

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, backoff_cap=0.05, retry_after_cap=0.2)


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TUI_INVENTORY_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for name in (
        "TUI_INVENTORY_TMF638_PASSWORD",
        "TUI_INVENTORY_TMF639_PASSWORD",
        "TUI_INVENTORY_DB",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Any]]:
    """Start simulators (stopped at the end of the test): `make_sim(services=…, …)`."""
    from tui_inventory.simulator import Simulator

    started: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("services", 120)
        kw.setdefault("carriers", 60)
        kw.setdefault("resources", 230)
        sim = Simulator(**kw)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., Any]) -> Any:
    return make_sim()


@pytest.fixture
def make_engine() -> Callable[..., SyncEngine]:
    """`make_engine(sim, store, dialect=…, **{"sync.page_concurrency": 1})` with fast retries."""

    def make(
        sim: Any,
        store: Store,
        *,
        events: list[Any] | None = None,
        dialect: str = "ses",
        version: int = 4,
        **settings: Any,
    ) -> SyncEngine:
        settings = {"sync.records_per_page": 20, **settings}
        cfg = sim_config(sim, dialect=dialect, version=version, **settings)
        sink = events.append if events is not None else None
        return SyncEngine(cfg, store, passwords=sim.passwords.get, on_event=sink, retry=FAST_RETRY)

    return make


def cancel_at(engine: SyncEngine, kind: str, page: int) -> None:
    """Make `engine` cancel itself once page `page` of `kind` is stored (as the operator's `c`)."""
    from tui_inventory.sync import events as ev

    def on_event(event: Any) -> None:
        if isinstance(event, ev.PageStored) and event.kind == kind and event.page == page:
            engine.cancel()

    engine.on_event = on_event
