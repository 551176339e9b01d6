"""`export -o PATH` and `config set` write what the operator named without harming what is there:
through a symlink to its target (the link stays a link), straight into a FIFO or a device (never
replaced by a regular file), and over a regular file atomically with its mode (and group) kept."""

from __future__ import annotations

import os
import stat
import threading
import tomllib
from pathlib import Path

from cli_fixtures import env_with_passwords, run

from tui_inventory.store.repo import Store

HEADER = "id,name,status,type,"


def empty_store(tmp_path: Path) -> Path:
    db = tmp_path / "inv.db"
    Store(str(db)).close()
    return db


def export(tmp_path: Path, db: Path, out: str) -> tuple[int, str, str]:
    done = run(
        ["--db", str(db), "export", "services", "-o", out], env_with_passwords(None, tmp_path)
    )
    return done.returncode, done.stdout, done.stderr


def test_export_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    db = empty_store(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "target.csv"
    target.write_text("old\n")
    link = out / "link.csv"
    link.symlink_to("target.csv")
    status, _, err = export(tmp_path, db, str(link))
    assert status == 0, err
    assert link.is_symlink() and os.readlink(link) == "target.csv"
    assert target.read_text().startswith(HEADER)
    # nothing left behind: no temporary file beside them
    assert sorted(p.name for p in out.iterdir()) == ["link.csv", "target.csv"]


def test_export_into_a_fifo_feeds_its_reader_and_leaves_the_fifo(tmp_path: Path) -> None:
    db = empty_store(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as fh:  # blocks until the export opens the FIFO for writing
            received.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    status, _, err = export(tmp_path, db, str(fifo))
    if status != 0:  # release the reader if the export never opened the FIFO
        with open(fifo, "wb"):
            pass
    reader.join(30)
    assert status == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a file"
    assert received and received[0].decode().startswith(HEADER)


def test_export_to_a_device_writes_into_it_and_never_replaces_it(tmp_path: Path) -> None:
    db = empty_store(tmp_path)
    # /dev/null through a link in the scratch directory, then by its own name: it stays a device
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    for out in (str(link), os.devnull):
        status, _, err = export(tmp_path, db, out)
        assert status == 0, err
        assert link.is_symlink(), "the link to /dev/null was replaced"  # (checked before the next)
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode), "/dev/null is no longer a device"
    # /dev/stdout (a pipe here): the rows reach the reader of the pipe
    status, out, err = export(tmp_path, db, "/dev/stdout")
    assert status == 0, err
    assert out.startswith(HEADER)


def test_export_over_a_file_keeps_its_mode_and_group(tmp_path: Path) -> None:
    db = empty_store(tmp_path)
    target = tmp_path / "services.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    gid = target.stat().st_gid
    if os.geteuid() == 0:
        gid = 65534 if gid != 65534 else 0
        os.chown(target, -1, gid)
    status, _, err = export(tmp_path, db, str(target))
    assert status == 0, err
    assert target.read_text().startswith(HEADER)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_gid == gid


def test_config_set_through_a_symlink_mends_the_real_file_and_keeps_its_mode(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real.toml"
    real.write_text("[http]\ntimeout = 30.0\n")
    real.chmod(0o600)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    done = run(
        ["--config", str(link), "config", "set", "http.timeout", "45"],
        env_with_passwords(None, tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert link.is_symlink()
    assert tomllib.loads(real.read_text())["http"]["timeout"] == 45
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
