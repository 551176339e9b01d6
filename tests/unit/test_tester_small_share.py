"""A held cleanup's reason with a small sync.max_delete_fraction: "would remove 1 of 369
resources (more than 0%)" read as if no removal at all were allowed. The limit and the share are
said with the digits they need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_inventory.store.repo import Store
from tui_inventory.text import percent


def test_percent_keeps_the_digits_a_small_share_needs() -> None:
    assert percent(0.25) == "25%"
    assert percent(0.001) == "0.1%"
    assert percent(1 / 369) == "0.27%"
    assert percent(0) == "0%"


def test_a_held_cleanup_says_the_limit_it_exceeded(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(services=30, carriers=10, resources=200, seed=3)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
        sim.dataset.remove("resources", sorted(store.keys("resources"))[0])
        result = make_engine(sim, store, **{"sync.max_delete_fraction": 0.001}).run("buildup")
    reason = result.types["resources"].reason
    assert result.types["resources"].state == "held"
    assert "(more than 0.1%)" in reason, reason
