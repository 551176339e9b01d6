"""`tui-inventory verify` (SPEC §11) against the simulator over loopback and a real SQLite file:
identical after a buildup; exactly the upstream's drift after it; the store untouched; a page
that cannot be read named; beside a running sync."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import FAST_RETRY
from sim_fixtures import sim_config

from tui_inventory import KINDS
from tui_inventory.cli import main
from tui_inventory.simulator.drift import drift
from tui_inventory.store.readonly import ReadOnlyStore
from tui_inventory.store.repo import Store
from tui_inventory.sync.verify import Verifier


@pytest.fixture
def verify_cli(
    sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """`verify_cli(*args)` runs `tui-inventory --db … --config … verify *args` in this process."""
    data: dict[str, dict[str, Any]] = {}
    settings = {**sim.settings("ses"), "sync.records_per_page": 20}
    for name, value in settings.items():
        section, key = name.split(".", 1)
        data.setdefault(section, {})[key] = value
    (tmp_path / "config.toml").write_text(tomli_w.dumps(data))
    for name, value in sim.password_env().items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        config = str(tmp_path / "config.toml")
        status = main(["--db", str(tmp_path / "s.db"), "--config", config, "verify", *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def built(sim: Any, tmp_path: Path, make_engine: Callable[..., Any]) -> Path:
    db = tmp_path / "s.db"
    with Store(str(db)) as store:
        assert make_engine(sim, store).run("buildup").ok
    return db


def test_verify_finds_exactly_the_drift_and_changes_nothing(
    sim: Any, tmp_path: Path, make_engine: Callable[..., Any], verify_cli: Any
) -> None:
    db = built(sim, tmp_path, make_engine)
    status, out, err = verify_cli("--json")
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert report["identical"] is True
    with Store(str(db)) as store:
        counts = store.counts()
    for kind in KINDS:
        inv = report["inventories"][kind]
        assert (inv["missing"], inv["extra"], inv["different"]) == ([], [], [])
        assert inv["checked"] == counts[kind]

    done = drift(sim.dataset)
    before = digest(db)
    status, out, err = verify_cli("--json")
    assert digest(db) == before  # byte for byte: verify writes nothing
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    assert (status, err) == (1, "")
    report = json.loads(out)
    assert report["identical"] is False
    assert set(report["inventories"]) == set(KINDS)
    for kind, d in done.items():
        inv = report["inventories"][kind]
        assert inv["missing"] == [d.added], kind
        assert inv["extra"] == [d.removed], kind
        assert [x["id"] for x in inv["different"]] == [d.renamed], kind
        fields = inv["different"][0]["fields"]
        assert set(fields) == {"Name"}
        assert fields["Name"]["upstream"] == fields["Name"]["stored"] + " (renamed upstream)"
        assert set(inv) == {"checked", "missing", "extra", "different"}

    status, out, _ = verify_cli("resources")  # one inventory, as text
    assert status == 1
    assert f"missing    {done['resources'].added}" in out
    assert f"extra      {done['resources'].removed}" in out
    assert "services" not in out


def test_a_page_that_cannot_be_read_is_named_and_exits_2(
    sim: Any, tmp_path: Path, make_engine: Callable[..., Any], verify_cli: Any
) -> None:
    built(sim, tmp_path, make_engine)
    sim.faults.add("resources", 3, "504", times=10)
    status, out, err = verify_cli("--json")
    assert status == 2
    assert "verify of resources incomplete: page 3" in err and "Traceback" not in err
    inv = json.loads(out)["inventories"]["resources"]
    assert inv["failures"] and inv["failures"][0].startswith("page 3")
    assert inv["extra"] == []  # unread pages are not reported as extra
    assert "failures" not in json.loads(out)["inventories"]["services"]


def test_verify_beside_a_running_sync(
    make_sim: Callable[..., Any], tmp_path: Path, make_engine: Callable[..., Any]
) -> None:
    sim = make_sim(services=300, carriers=100, resources=600, latency_ms=20)
    db = str(tmp_path / "s.db")
    store = Store(db)
    engine = make_engine(sim, store)
    stored = threading.Event()
    engine.on_event = lambda e: stored.set() if type(e).__name__ == "PageStored" else None
    results: list[Any] = []
    sync = threading.Thread(target=lambda: results.append(engine.run("buildup")))
    sync.start()
    assert stored.wait(30)
    cfg = sim_config(sim)
    reader = ReadOnlyStore(db)
    try:
        during = Verifier(cfg, reader, passwords=sim.passwords.get, retry=FAST_RETRY).run()
        sync.join(60)
        assert results and results[0].ok  # the sync was not disturbed
        assert during.complete  # and the verify read every page meanwhile
        after = Verifier(cfg, reader, passwords=sim.passwords.get, retry=FAST_RETRY).run()
    finally:
        reader.close()
        store.close()
    assert after.identical, after.to_json()


def test_what_a_sync_would_not_change_is_no_difference(
    sim: Any, tmp_path: Path, make_engine: Callable[..., Any]
) -> None:
    """A modem's new status (modems keep theirs), a new service that is not Operational (updates
    remove those), a new resource of a filtered type: none is a difference."""
    db = built(sim, tmp_path, make_engine)
    with Store(str(db)) as store:
        modem = next(i for i in store.iter_instances("resources") if i.type.lower() == "modem")
        service = next(i for i in store.iter_instances("services") if i.status == "Operational")
    sim.dataset.set_field("resources", modem.key, "Status", "Faulty")
    retired = sim.dataset.get("services", service.key)
    retired.update({"ExternalId": "SVC-RETIRED-1", "Status": "Retired"})
    sim.dataset.add("services", retired)
    card = sim.dataset.get("resources", modem.key)
    card.update({"Id": "CARD-NEW-1", "Type": "Card"})
    card.pop("type", None)
    sim.dataset.add("resources", card)
    reader = ReadOnlyStore(str(db))
    try:
        report = Verifier(sim_config(sim), reader, passwords=sim.passwords.get).run()
    finally:
        reader.close()
    assert report.identical, report.to_json()
    sim.dataset.set_field("resources", modem.key, "Name", "A new name")  # but its name is
    reader = ReadOnlyStore(str(db))
    try:
        report = Verifier(sim_config(sim), reader, passwords=sim.passwords.get).run(["resources"])
    finally:
        reader.close()
    assert [d.key for d in report.inventories["resources"].different] == [modem.key]
    assert set(report.inventories["resources"].different[0].fields) == {"Name"}


def test_verify_reads_either_backend_and_cannot_write(
    sim: Any, store: Store, make_engine: Callable[..., Any]
) -> None:
    assert make_engine(sim, store).run("buildup").ok
    reader = ReadOnlyStore(store.url)
    try:
        report = Verifier(sim_config(sim), reader, passwords=sim.passwords.get).run()
        assert report.identical, report.to_json()
        with pytest.raises(Exception, match=r"read-only|readonly"):
            reader.log(None, "info", None, "a verify never writes")
    finally:
        reader.close()
