"""What the command line prints, as an operator reads it: whole lines, readable times, addresses
that say which port was tried, and a quiet exit when the reader of the output goes away (`| head`).

Real processes, the simulator on loopback, real SQLite files.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_fixtures import CLI, env_with_passwords, free_port, run, write_config

from tui_inventory.errors import TypeFailed
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.tmf.client import TmfClient

BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell shows for `producer | head`
UTC_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def stored(sim: Any, db: Path, make_engine: Callable[..., SyncEngine]) -> Path:
    """A real SQLite store holding a buildup from `sim`."""
    with Store(str(db)) as store:
        assert make_engine(sim, store).run("buildup").ok
    return db


def run_into_closed_pipe(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a stdout whose reader has already gone: its first write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [*CLI, *args], env=env, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=300
        )
    finally:
        os.close(write_end)


# -- a reader that goes away (`| head`) ---------------------------------------------------------


def test_export_piped_into_head_exits_quietly(
    make_sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    sim = make_sim(services=1500, carriers=10, resources=10)
    db = stored(sim, tmp_path / "inv.db", make_engine)
    env = env_with_passwords(None, tmp_path)
    # Far more than a pipe holds: the export is still writing when the reader stops after three.
    proc = subprocess.Popen(
        [*CLI, "--db", str(db), "export", "services", "--format", "csv"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    head = [proc.stdout.readline() for _ in range(3)]
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == BROKEN_PIPE
    assert head[0].startswith("id,name,status,type,")
    assert err == ""


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "--json"],
        ["history", "services", "SVC-000001"],
        ["history", "services", "SVC-000001", "--json"],
        ["export", "carriers", "--format", "csv"],
        ["export", "carriers", "--format", "json"],
        ["export", "carriers", "--format", "jsonl"],
        ["config", "show"],
    ],
    ids=" ".join,
)
def test_every_command_is_quiet_when_its_reader_is_gone(
    command: list[str], sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    db = stored(sim, tmp_path / "inv.db", make_engine)
    done = run_into_closed_pipe(["--db", str(db), *command], env_with_passwords(None, tmp_path))
    assert done.stderr == ""  # no traceback, not even "Exception ignored" at exit
    assert done.returncode == BROKEN_PIPE


def test_sync_whose_reader_is_gone_still_syncs_and_exits_quietly(sim: Any, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", sim, **{"sync.records_per_page": 20})
    env = env_with_passwords(sim, tmp_path)
    db = tmp_path / "inv.db"
    done = run_into_closed_pipe(["--config", str(cfg), "--db", str(db), "sync", "--once"], env)
    assert done.stderr == ""
    assert done.returncode == 0  # the sync's own status: it succeeded
    with Store(str(db)) as store:  # the sync did its work all the same
        assert store.has_completed_buildup()
        assert store.counts()["services"] == len(sim.dataset.expected_keys("services"))
    log = next((tmp_path / "state").rglob("*.log")).read_text()
    assert "event listener failed" not in log  # the printer stopped, it did not fail per event


def test_headless_demo_whose_reader_is_gone_exits_quietly(tmp_path: Path) -> None:
    small = ["--services", "60", "--carriers", "20", "--resources", "80", "--latency-ms", "0"]
    done = run_into_closed_pipe(["demo", "--headless", *small], env_with_passwords(None, tmp_path))
    assert done.stderr == ""
    # It prints through the sync's reporter: like a sync, it exits with how its runs went.
    assert done.returncode == 0


# -- whole lines from two APIs syncing side by side ---------------------------------------------

KIND = r"(services|carriers|resources)"
# Where a message begins: a second one inside a line is two lines run together.
MESSAGE_START = (
    rf"(run \d+: |(warning|error): |stored: |{KIND}: ((buildup|update) started|page \d+))"
)
LINE = re.compile(
    "|".join(
        [
            rf"run \d+: (buildup|update) of {KIND}(, {KIND})*",
            rf"{KIND}: (buildup|update) started( \(resuming at page \d+\))?",
            rf"{KIND}: page \d+, \d+(/\d+)? received, \d+ created, \d+ updated \(\d+/s\)",
            # The engine's wording of a skip is its own: any text, as long as it is one message.
            rf"warning: {KIND}: (?:(?!{MESSAGE_START}).)+",
            r"run \d+: (buildup|update) succeeded",
            rf"{KIND}: succeeded — received \d+, created \d+, updated \d+, unchanged \d+, "
            r"skipped \d+, removed \d+, failed \d+",
            r"stored: services \d+, carriers \d+, resources \d+",
        ]
    )
)


def test_headless_sync_prints_whole_lines_while_both_apis_log(
    make_sim: Any, tmp_path: Path
) -> None:
    # Both APIs log a warning on most pages at once: the lines the two threads print must not
    # run into each other (`…startedresources: …`) nor leave an empty line behind.
    sim = make_sim(services=400, carriers=400, resources=800, duplicates=60, null_keys=60)
    cfg = write_config(
        tmp_path / "c.toml", sim, **{"sync.records_per_page": 10, "sync.page_concurrency": 4}
    )
    done = run(
        ["--config", str(cfg), "--db", str(tmp_path / "inv.db"), "sync", "--once", "--buildup"],
        env_with_passwords(sim, tmp_path),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.split("\n")
    assert lines[-1] == ""  # the output ends with a newline…
    malformed = [line for line in lines[:-1] if not LINE.fullmatch(line)]
    assert malformed == [], "\n".join(malformed)  # …and every line is one message, none empty
    warned = {m.group(1) for line in lines if (m := re.match(rf"warning: {KIND}: ", line))}
    assert warned == {"services", "carriers", "resources"}  # both APIs did log
    assert sum(line.startswith("warning: ") for line in lines) >= 100


# -- connection errors name host:port, never credentials ----------------------------------------


def test_connection_errors_name_the_port_tried(sim: Any, tmp_path: Path) -> None:
    dead = free_port()
    cfg = write_config(
        tmp_path / "c.toml",
        sim,
        **{
            "tmf638.url": f"http://127.0.0.1:{dead}/x",
            # The simulator speaks plain HTTP: TLS to its port fails in the handshake.
            "tmf639.url": f"https://127.0.0.1:{sim.port}/ses/tmf639",
        },
    )
    done = run(
        ["--config", str(cfg), "--db", str(tmp_path / "i.db"), "sync", "--once"],
        env_with_passwords(sim, tmp_path),
    )
    assert done.returncode == 1
    assert f"cannot reach TMF638 at 127.0.0.1:{dead}: connection refused" in done.stdout
    assert f"TLS handshake with TMF639 at 127.0.0.1:{sim.port} failed" in done.stdout


def test_connection_test_names_the_port_and_never_the_urls_credentials() -> None:
    dead = free_port()
    url = f"http://operator-name:pa55-word-x@127.0.0.1:{dead}/x"
    with TmfClient("tmf638", url, None, None) as client, pytest.raises(TypeFailed) as failed:
        client.test_connection("/service")  # what Settings → Test connection runs
    assert failed.value.message == f"cannot reach TMF638 at 127.0.0.1:{dead}: connection refused"


def test_a_url_without_a_port_is_named_by_its_host() -> None:
    try:
        socket.create_connection(("127.0.0.1", 80), timeout=1).close()
    except OSError:
        pass
    else:
        pytest.skip("something listens on 127.0.0.1:80 here")
    with (
        TmfClient("tmf638", "http://127.0.0.1/x", None, None) as client,
        pytest.raises(TypeFailed) as failed,
    ):
        client.fetch_page("/service", 1)
    assert failed.value.message == "cannot reach TMF638 at 127.0.0.1: connection refused"


# -- times in status ----------------------------------------------------------------------------


def test_status_shows_when_a_run_ended_or_when_a_running_one_started(
    sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    db = stored(sim, tmp_path / "inv.db", make_engine)
    with Store(str(db)) as store:
        sim.faults.add("resources", 1, "502")
        assert not make_engine(sim, store).run("update").ok  # run 2 fails, with a reason
        running = store.start_run("update", "sync-host", 4242)  # run 3 is still going
        runs = {r["id"]: r for r in store.runs()}
    env = env_with_passwords(None, tmp_path)
    done = run(["--db", str(db), "status"], env)
    assert done.returncode == 0, done.stderr
    shown = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r"^run (\d+): .*$", done.stdout, re.MULTILINE)
    }

    def utc(iso: str) -> str:  # 2026-12-01T10:45:56.509123Z -> 2026-12-01 10:45:56 UTC
        return iso[:19].replace("T", " ") + " UTC"

    assert shown[1] == f"run 1: buildup succeeded at {utc(runs[1]['finished_at'])}"
    assert shown[2].startswith(
        f"run 2: update {runs[2]['state']} at {utc(runs[2]['finished_at'])} ("
    )
    assert shown[3] == f"run {running}: update running, started at {utc(runs[3]['started_at'])}"
    for line in shown.values():
        assert re.search(UTC_TIME, line) and not re.search(r"\d\.\d{6}|T\d\d:", line), line


def test_history_prints_times_as_status_does(
    sim: Any, make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    db = stored(sim, tmp_path / "inv.db", make_engine)
    key = sorted(sim.dataset.expected_keys("carriers"))[0]
    done = run(["--db", str(db), "history", "carriers", key], env_with_passwords(None, tmp_path))
    assert done.returncode == 0, done.stderr
    revision = done.stdout.splitlines()[1]
    assert re.fullmatch(rf"{UTC_TIME}  run 1  created", revision), revision
