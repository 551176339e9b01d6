"""Held-back cleanups you can look at (SPEC §11): `tui-inventory cleanup KIND` lists exactly what
the cleanup would remove, `--confirm` removes exactly that, `--discard` removes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tui_inventory.cli import main
from tui_inventory.store.repo import Store


def held_resources(
    sim: Any, db: str, make_engine: Callable[..., Any], tmp_path: Path
) -> tuple[set[str], set[str]]:
    """A buildup, then upstream drops most resources and a second buildup holds its cleanup back:
    (the keys dropped upstream, the resource keys stored)."""
    with Store(db) as store:
        assert make_engine(sim, store).run("buildup").ok
        stored = store.keys("resources")
        gone = set(sorted(stored)[: int(len(stored) * 0.7)])
        for key in gone:
            sim.dataset.remove("resources", key)
        result = make_engine(sim, store).run("buildup")
        assert result.types["resources"].state == "held"
        assert store.keys("resources") == stored
    cfg = tmp_path / "config.toml"  # what `--confirm` syncs with: the simulator's settings
    data: dict[str, dict[str, Any]] = {}
    for name, value in sim.settings("ses").items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    cfg.write_text(tomli_w.dumps(data))
    return gone, stored


def test_cleanup_lists_then_confirms_exactly_what_it_removes(
    sim: Any,
    tmp_path: Path,
    make_engine: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = str(tmp_path / "store.db")
    gone, stored = held_resources(sim, db, make_engine, tmp_path)
    capsys.readouterr()
    assert main(["--db", db, "status"]) == 0
    assert "`tui-inventory cleanup resources` lists them" in capsys.readouterr().out

    assert main(["--db", db, "cleanup", "resources", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {i["id"] for i in listed["instances"]} == gone
    assert listed["would_remove"] == len(gone) and listed["scope"] == "buildup"
    assert main(["--db", db, "cleanup", "resources"]) == 0
    text = capsys.readouterr().out
    assert all(key in text for key in gone)
    assert not any(f"  {key}  " in text for key in stored - gone)

    monkeypatch.setenv("TUI_INVENTORY_TMF639_PASSWORD", sim.passwords["tmf639"])
    assert main(["--db", db, "--config", str(tmp_path / "config.toml"), "cleanup", "resources",
                 "--confirm"]) == 0  # fmt: skip
    assert f"removed {len(gone)}" in capsys.readouterr().out
    with Store(db) as store:
        assert store.keys("resources") == stored - gone
        assert not store.held_cleanups()
    assert main(["--db", db, "cleanup", "resources"]) == 1
    assert "no cleanup of resources is waiting" in capsys.readouterr().err


def test_discard_removes_nothing(
    sim: Any, tmp_path: Path, make_engine: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "store.db")
    _, stored = held_resources(sim, db, make_engine, tmp_path)
    assert main(["--db", db, "cleanup", "resources", "--discard"]) == 0
    assert "nothing removed" in capsys.readouterr().out
    with Store(db) as store:
        assert store.keys("resources") == stored
        assert not store.held_cleanups()
