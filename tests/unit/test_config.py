"""Settings: every key of the specification, the TOML file, and the values that are refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tui_inventory import config
from tui_inventory.config import Config, load_config, save_config
from tui_inventory.errors import ConfigError

# SPEC §2, key by key.
SPEC_DEFAULTS: dict[str, Any] = {
    "tmf638.url": None,
    "tmf638.username": None,
    "tmf638.services_path": "/service",
    "tmf638.carriers_path": "/carrier",
    "tmf639.url": "https://mintapi.dbb-oa-dev.az.ses/gstm/dataminer/tmf/api/v1/tmf639",
    "tmf639.username": None,
    "tmf639.resources_path": "/resource",
    "http.bypass_proxy": False,
    "http.verify_tls": True,
    "http.ca_bundle": None,
    "http.timeout": 30,
    "sync.update_frequency": 3600,
    "sync.records_per_page": 50,
    "sync.page_concurrency": 4,
    "sync.dialect": "ses",
    "sync.max_delete_fraction": 0.5,
    "ops.listen": None,
    "events.enabled": False,
    "events.listen": "0.0.0.0:8639",
    "events.callback_url": None,
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_of_the_spec_with_its_default(tmp_path: Path) -> None:
    assert set(config.KEYS_BY_NAME) == set(SPEC_DEFAULTS)
    cfg = load_config(tmp_path / "missing.toml")
    for name, default in SPEC_DEFAULTS.items():
        assert cfg.get(name) == default, name
        assert config.KEYS_BY_NAME[name].default == default, name
        assert config.KEYS_BY_NAME[name].help, name


def test_toml_round_trip(tmp_path: Path) -> None:
    ca = _write(tmp_path / "ca.pem", "-----BEGIN CERTIFICATE-----\n")
    values: dict[str, Any] = {
        "tmf638.url": "https://gateway.example.test/tmf638",
        "tmf638.username": "svc-638",
        "tmf638.services_path": "/services",
        "tmf638.carriers_path": "/carriers",
        "tmf639.url": "http://127.0.0.1:8080/tmf639",
        "tmf639.username": "svc-639",
        "tmf639.resources_path": "/resources",
        "http.bypass_proxy": True,
        "http.verify_tls": False,
        "http.ca_bundle": str(ca),
        "http.timeout": 12.5,
        "sync.update_frequency": 7200,
        "sync.records_per_page": 200,
        "sync.page_concurrency": 1,
        "sync.dialect": "tmf630",
        "sync.max_delete_fraction": 0.25,
    }
    cfg = Config()
    for name, value in values.items():
        cfg.set(name, value)
    path = save_config(cfg, tmp_path / "sub" / "config.toml")

    assert path == tmp_path / "sub" / "config.toml"
    assert not (tmp_path / "sub" / "config.toml.tmp").exists()
    loaded = load_config(path)
    assert {name: loaded.get(name) for name in values} == values
    assert loaded.path == path
    assert "password" not in path.read_text()


def test_a_default_config_saves_and_loads(tmp_path: Path) -> None:
    path = save_config(Config(), tmp_path / "config.toml")
    loaded = load_config(path)
    assert {name: loaded.get(name) for name in SPEC_DEFAULTS} == SPEC_DEFAULTS


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("http.bypass_proxy", "true", True),
        ("http.bypass_proxy", "No", False),
        ("http.verify_tls", "0", False),
        ("http.timeout", "45", 45.0),
        ("http.timeout", "2.5", 2.5),
        ("sync.update_frequency", " 86400 ", 86400),
        ("sync.records_per_page", "100", 100),
        ("sync.page_concurrency", "8", 8),
        ("sync.max_delete_fraction", "0.1", 0.1),
        ("sync.dialect", "tmf630", "tmf630"),
        ("tmf638.username", "  operator  ", "operator"),
        ("tmf638.url", "https://h.example.test", "https://h.example.test"),
        ("tmf638.url", "", None),
    ],
)
def test_set_parses_strings(name: str, text: str, value: Any) -> None:
    cfg = Config()
    cfg.set(name, text)
    assert cfg.get(name) == value
    assert type(cfg.get(name)) is type(value)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("http.bypass_proxy", "maybe", "http.bypass_proxy must be true or false"),
        ("sync.records_per_page", "fifty", "must be a whole number"),
        ("sync.records_per_page", "2.5", "must be a whole number"),
        ("sync.records_per_page", "0", "between 1 and 10000"),
        ("sync.page_concurrency", "100", "between 1 and 32"),
        ("http.timeout", "soon", "must be a number"),
        ("http.timeout", "0", "greater than 0 and at most 3600 seconds"),
        ("http.timeout", "nan", "greater than 0 and at most 3600 seconds"),
        ("sync.max_delete_fraction", "1.5", "between 0 and 1"),
        ("sync.dialect", "soap", "must be one of ses, tmf630"),
        ("tmf638.services_path", "service", "must start with '/'"),
        ("http.ca_bundle", "/no/such/ca.pem", "names no readable file"),
    ],
)
def test_set_refuses_bad_values(name: str, text: str, message: str) -> None:
    cfg = Config()
    before = cfg.get(name)
    with pytest.raises(ConfigError, match=message):
        cfg.set(name, text)
    assert cfg.get(name) == before


@pytest.mark.parametrize(
    ("text", "shown"), [("0", "0"), ("0.0", "0"), ("-2.5", "-2.5"), ("3600.5", "3600.5")]
)
def test_a_refused_timeout_states_the_real_bounds(text: str, shown: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config().set("http.timeout", text)
    assert raised.value.message == (
        f"http.timeout must be greater than 0 and at most 3600 seconds, not {shown}"
    )


@pytest.mark.parametrize("text", ["0.001", "3600"])
def test_the_timeouts_bounds_as_stated_are_accepted(text: str) -> None:
    cfg = Config()
    cfg.set("http.timeout", text)
    assert cfg.get("http.timeout") == float(text)


# Every numeric key, just past each of its bounds.
REFUSED_NUMBERS = [
    ("http.timeout", "0"),
    ("http.timeout", "-1"),
    ("http.timeout", "3601"),
    ("sync.update_frequency", "3599"),
    ("sync.update_frequency", "432001"),
    ("sync.records_per_page", "0"),
    ("sync.records_per_page", "10001"),
    ("sync.page_concurrency", "0"),
    ("sync.page_concurrency", "33"),
    ("sync.max_delete_fraction", "-0.1"),
    ("sync.max_delete_fraction", "1.1"),
]


def test_every_numeric_key_is_covered() -> None:
    numeric = {k.name for k in config.KEYS if k.kind in (int, float)}
    assert {name for name, _ in REFUSED_NUMBERS} == numeric


@pytest.mark.parametrize(("name", "text"), REFUSED_NUMBERS)
def test_a_refusal_never_states_bounds_that_hold_the_refused_value(name: str, text: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config().set(name, text)
    message = raised.value.message
    value = float(text)
    bounds = re.search(r"must be between ([-\d.]+) and ([-\d.]+)\b", message)
    if bounds:  # "between" reads as inclusive: the value must lie outside both ends
        low, high = float(bounds[1]), float(bounds[2])
        assert not low <= value <= high, message
        # …and each end is a value the key accepts.
        for end in (bounds[1], bounds[2]):
            Config().set(name, end)
    else:
        assert re.search(r"must be greater than [-\d.]+ and at most [-\d.]+\b", message), message
    assert message.endswith(f"not {text}"), message


@pytest.mark.parametrize("value", [3600, "3600", 432000, "432000", 86400])
def test_update_frequency_bounds_are_accepted(value: int | str) -> None:
    cfg = Config()
    cfg.set("sync.update_frequency", value)
    assert cfg.get("sync.update_frequency") == int(value)


@pytest.mark.parametrize("value", [3599, "432001", 0, -3600, 60])
def test_update_frequency_outside_the_range_is_refused(value: int | str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config().set("sync.update_frequency", value)
    assert raised.value.message == (
        f"sync.update_frequency must be between 3600 and 432000 seconds, not {int(value)}"
    )


def test_refused_frequency_in_the_file_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "config.toml", "[sync]\nupdate_frequency = 600\n")
    with pytest.raises(ConfigError, match=r"config\.toml: sync\.update_frequency must be between"):
        load_config(path)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.test/tmf", "must be an http:// or https:// URL"),
        ("gateway.example.test/tmf638", "must be an http:// or https:// URL"),
        ("https://", "must be an http:// or https:// URL"),
        ("https://[::1/tmf", "is not a valid URL"),
        ("https://host.example.test:99999/tmf", "is not a valid URL"),
        ("https://alice:hunter2@host.example.test/", "must not carry credentials"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        Config().set("tmf638.url", url)
    assert "hunter2" not in raised.value.message


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'sync\.frequency'.*sync\.update_freq"):
        Config().set("sync.frequency", "3600")
    with pytest.raises(ConfigError, match="unknown setting"):
        Config().get("nope")

    path = _write(tmp_path / "config.toml", "[http]\nproxy = 'http://proxy'\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'http\.proxy'"):
        load_config(path)


@pytest.mark.parametrize(
    "text",
    [
        '[tmf638]\nurl = "https://h.example.test"\npassword = "hunter2"\n',
        '[tmf639]\nPassword = "hunter2"\n',
        'password = "hunter2"\n',
    ],
)
def test_a_password_in_the_file_is_refused(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError, match="passwords do not belong in the configuration") as raised:
        load_config(path)
    assert "set-password" in raised.value.message
    assert "hunter2" not in raised.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sync\nupdate_frequency = 3600\n", "is not valid TOML"),
        ("sync = 3600\n", r"\[sync\] must be a table of settings"),
        ("[tmf638]\nusername = ['a', 'b']\n", "tmf638.username must be text"),
        ("[tmf638]\nusername = { name = 'a' }\n", "tmf638.username must be text"),
        ("[http]\nverify_tls = 'sometimes'\n", "must be true or false"),
    ],
)
def test_a_broken_file_is_refused_with_its_name(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(path)
    assert str(path) in raised.value.message


def test_config_env_var_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "elsewhere.toml", '[sync]\ndialect = "tmf630"\n')
    monkeypatch.setenv("TUI_INVENTORY_CONFIG", str(path))

    assert config.default_config_path() == path
    cfg = load_config()
    assert cfg.path == path
    assert cfg.sync.dialect == "tmf630"

    cfg.set("sync.records_per_page", "75")
    assert save_config(cfg) == path
    assert load_config().sync.records_per_page == 75


def test_without_the_env_var_the_file_is_in_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUI_INVENTORY_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.default_config_path() == tmp_path / "xdg" / "tui-inventory" / "config.toml"


def test_helpers_for_the_engine() -> None:
    cfg = Config()
    cfg.set("tmf638.url", "https://a.example.test")
    cfg.set("tmf638.username", "u638")
    assert cfg.url_for("tmf638") == "https://a.example.test"
    assert cfg.url_for("tmf639") == SPEC_DEFAULTS["tmf639.url"]
    assert cfg.username_for("tmf638") == "u638"
    assert cfg.username_for("tmf639") is None
    assert [cfg.path_for(k) for k in ("services", "carriers", "resources")] == [
        "/service",
        "/carrier",
        "/resource",
    ]
