"""`config show` says why no keyring can be asked once, not once per API."""

from __future__ import annotations

from pathlib import Path

from cli_fixtures import env_with_passwords, run


def test_config_show_explains_a_missing_keyring_once(tmp_path: Path) -> None:
    env = env_with_passwords(None, tmp_path)  # no password in the environment, no keyring
    done = run(["--config", str(tmp_path / "none.toml"), "config", "show"], env)
    assert done.returncode == 0, done.stderr
    lines = [x for x in done.stdout.splitlines() if ".password:" in x]
    assert [x.split(":", 1)[0] for x in lines] == ["tmf638.password", "tmf639.password"]
    assert "unknown (" in lines[0] and len(lines[0]) > 80  # the whole explanation, once
    assert lines[1] == "tmf639.password: unknown (as above)"
