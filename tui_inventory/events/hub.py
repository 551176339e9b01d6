"""The hub registrations (SPEC §10): this store's callback registered on both APIs at start, the
hub it registered before dropped first, unregistered on a clean stop.

An upstream without a hub (404, 405, 501) is said once ("TMF638 offers no event hub: polling
only") and polling goes on. The hub ids are kept in the store (`store.events`); the callback is
not (it holds the token): only the hub's own address is.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tui_inventory.config import APIS, Config
from tui_inventory.errors import InventoryError
from tui_inventory.events.upstream import PasswordSource, ReadFailed, make_client, request
from tui_inventory.store import events as store_events
from tui_inventory.store.repo import Store
from tui_inventory.tmf.client import API_TITLES, RetryPolicy

NO_HUB = (404, 405, 501)
Say = Callable[[str, str], None]  # (level, message)


class HubRegistrar:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        passwords: PasswordSource,
        callback: str,
        say: Say,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.passwords = passwords
        self.callback = callback
        self.say = say
        self.retry = retry
        self.registered: dict[str, str] = {}  # api -> hub id
        self.without_hub: set[str] = set()

    def register(self) -> dict[str, str]:
        """Register on every API that has a URL; returns api -> hub id of those that took it."""
        previous = store_events.hubs(self.store)
        for api in APIS:
            base = self.config.url_for(api)
            if not base:
                continue
            title = API_TITLES[api]
            try:
                client = make_client(self.config, api, self.passwords, self.retry)
            except InventoryError as exc:
                self.say("warning", f"{title}: no event hub registered: {exc.message}")
                continue
            try:
                old = previous.get(api)
                if old is not None:  # the hub this store registered before (a crash left it)
                    hub_id, hub_url = old
                    try:
                        request(client, "DELETE", f"{hub_url}/{hub_id}")
                    except (InventoryError, ReadFailed):
                        pass  # gone with the upstream's restart, or unreachable: register anew
                    store_events.drop_hub(self.store, api)
                hub_url = f"{client.base_url}/hub"
                status, content = request(
                    client, "POST", hub_url, body={"callback": self.callback, "query": ""}
                )
                if status in NO_HUB:
                    if api not in self.without_hub:
                        self.without_hub.add(api)
                        self.say("info", f"{title} offers no event hub: polling only")
                    continue
                new_id = _hub_id(content) if status in (200, 201) else None
                if new_id is None:
                    self.say(
                        "warning",
                        f"{title}: the event hub answered HTTP {status} without a hub id; "
                        "polling only",
                    )
                    continue
                store_events.save_hub(self.store, api, new_id, hub_url)
                self.registered[api] = new_id
                self.say("info", f"{title}: registered for events (hub {new_id[:40]})")
            except (InventoryError, ReadFailed) as exc:
                why = exc.message if isinstance(exc, InventoryError) else str(exc)
                self.say("warning", f"{title}: no event hub registered: {why}; polling only")
            finally:
                client.close()
        return dict(self.registered)

    def unregister(self) -> None:
        """Drop every hub this store registered (a clean stop)."""
        for api, (hub_id, hub_url) in store_events.hubs(self.store).items():
            try:
                client = make_client(self.config, api, self.passwords, self.retry)
            except InventoryError:
                continue
            try:
                request(client, "DELETE", f"{hub_url}/{hub_id}")
            except (InventoryError, ReadFailed) as exc:
                why = exc.message if isinstance(exc, InventoryError) else str(exc)
                self.say("warning", f"{API_TITLES[api]}: could not unregister the hub: {why}")
            finally:
                client.close()
            store_events.drop_hub(self.store, api)
            self.registered.pop(api, None)


def _hub_id(content: bytes) -> str | None:
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    value = data.get("id") if isinstance(data, dict) else None
    if isinstance(value, str | int) and str(value).strip():
        return str(value).strip()
    return None
