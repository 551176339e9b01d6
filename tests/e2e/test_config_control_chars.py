"""Control characters in a setting's value (an ESC, a BEL pasted with a user name) are refused by
`config set` with a message that shows them as symbols, never raw; `config show` shows those
already in a file as symbols too, so the terminal is never driven by a settings value."""

from __future__ import annotations

import re
from pathlib import Path

from cli_fixtures import env_with_passwords, run

RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # any control character but newline and tab


def test_config_set_refuses_control_characters_and_shows_them_as_symbols(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[tmf638]\nusername = "ops"\n')
    before = config.read_bytes()
    done = run(
        ["--config", str(config), "config", "set", "tmf638.username", "a\x1b[31mb\x07"],
        env_with_passwords(None, tmp_path),
    )
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert not RAW.search(out), repr(out)
    assert "must not contain control characters" in done.stderr
    assert "a␛[31mb␇" in done.stderr  # where they are, visibly
    assert config.read_bytes() == before


def test_config_show_shows_control_characters_already_in_the_file_as_symbols(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[tmf638]\nusername = "user\\u0007\\u001bname"\n')
    done = run(["--config", str(config), "config", "show"], env_with_passwords(None, tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert not RAW.search(out), repr(out)
    line = next(x for x in done.stdout.splitlines() if x.startswith("tmf638.username"))
    assert "BAD" in line and "control characters" in line and "user␇␛name" in line
