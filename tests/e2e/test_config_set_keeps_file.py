"""`config set` changes only the key set, as `git config` does: the file's comments, order and
other keys stay, and no default the operator did not choose is written (the console's Settings
save uses the same writer: `config.save_config`)."""

from __future__ import annotations

from pathlib import Path

from cli_fixtures import env_with_passwords, run

from tui_inventory.config import load_config, save_config

COMMENTED = """\
# managed by ansible, do not edit
[tmf638]
# the gateway
url = "https://gw.example/tmf638"   # staging until March

[sync]
records_per_page = 200
"""


def test_config_set_changes_only_that_line(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(COMMENTED)
    env = env_with_passwords(None, tmp_path)

    done = run(["--config", str(path), "config", "set", "sync.records_per_page", "300"], env)
    assert done.returncode == 0, done.stderr
    assert path.read_text() == COMMENTED.replace("= 200", "= 300")

    done = run(["--config", str(path), "config", "set", "http.timeout", "45"], env)
    assert done.returncode == 0, done.stderr
    text = path.read_text()
    assert text.startswith(COMMENTED.replace("= 200", "= 300")), text
    added = text.removeprefix(COMMENTED.replace("= 200", "= 300")).split()
    assert added == ["[http]", "timeout", "=", "45.0"], text  # its table, new, and nothing else
    assert "tmf639" not in text and "events" not in text  # no default written out
    assert load_config(path).http.timeout == 45


def test_a_settings_save_keeps_comments_and_writes_no_default(tmp_path: Path) -> None:
    """What the console's Settings (ctrl+s) does: a whole Config saved, one value changed."""
    path = tmp_path / "settings.toml"
    path.write_text(COMMENTED)
    cfg = load_config(path)
    cfg.set("tmf638.url", "https://gw.example/v2")
    save_config(cfg)
    assert path.read_text() == COMMENTED.replace("example/tmf638", "example/v2")
    new = tmp_path / "new.toml"
    save_config(load_config(new), new)  # nothing chosen: nothing written
    assert new.read_text().strip() == ""
