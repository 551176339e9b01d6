"""One way to build a `TmfClient` from the settings: the sync engine's and the console's connection
test differ only in what they override (a test asks for one entity, once, within 15 s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui_inventory.config import Config
from tui_inventory.tmf.client import TmfClient


def client_for(
    config: Config,
    api: str,
    password: Callable[[], str | None],
    *,
    factory: Callable[..., TmfClient] = TmfClient,
    **overrides: Any,
) -> TmfClient:
    """The client of `api` (tmf638 or tmf639) as `config` describes it; `overrides` replace any
    of the client's keyword options. `password()` is called in the client's construction, so no
    local of this frame holds the password (a traceback with locals cannot show it)."""
    http = config.http
    options: dict[str, Any] = {
        "dialect": config.sync.dialect,
        "page_size": config.sync.records_per_page,
        "timeout": http.timeout,
        "verify_tls": http.verify_tls,
        "ca_bundle": http.ca_bundle,
        "bypass_proxy": http.bypass_proxy,
        "concurrency": config.sync.page_concurrency,
    }
    options.update(overrides)
    url, username = config.url_for(api) or "", config.username_for(api)
    return factory(api, url, username, password(), **options)
