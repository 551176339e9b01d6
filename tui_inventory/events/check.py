"""Is the callback address reachable from this host? (the Settings screen's "Test callback")

A listener is started on `events.listen` with a throw-away token and a test event is POSTed to
`{events.callback_url}/{that token}`: it must arrive at that listener. When the port is taken (a
sync process listens there already) only whether something answers at the address can be told.
The sentences name the address, never a token.
"""

from __future__ import annotations

import threading
from secrets import token_urlsafe

import httpx

from tui_inventory.config import Config
from tui_inventory.errors import InventoryError
from tui_inventory.events.listener import Listener, ListenerError

PROBE = {"eventType": "ResourceAttributeValueChangeEvent", "event": {"resource": {"id": "probe"}}}


class CallbackUnreachable(InventoryError):
    title = "Events"


def check_callback(config: Config, timeout: float = 5.0) -> str:
    """A sentence on success; raises CallbackUnreachable with one that says why not."""
    probe = token_urlsafe(16)
    arrived = threading.Event()
    host, port = config.events.listen_address()
    try:
        listener: Listener | None = Listener(host, port, probe, lambda n: arrived.set()).start()
    except ListenerError:
        listener = None
    base = config.events.callback_base(listener.port if listener is not None else None)
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as http:
            response = http.post(f"{base}/{probe}", json=PROBE)
    except httpx.HTTPError as exc:
        raise CallbackUnreachable(
            f"{base} cannot be reached from this host ({type(exc).__name__})"
        ) from None
    finally:
        if listener is not None:
            listener.stop()
    if listener is None:
        return (
            f"{config.events.listen} is in use (a sync listening there?); {base} answers "
            f"(HTTP {response.status_code})"
        )
    if arrived.is_set():
        return f"{base} reaches this host's listener"
    raise CallbackUnreachable(
        f"{base} answered HTTP {response.status_code}, but not from this host's listener "
        "(another host or a proxy answers there)"
    )
