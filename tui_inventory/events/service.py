"""Event notifications as one part of a sync process: the listener, the stream behind it and the
hub registrations, started and stopped together by the process that holds the sync lease (the
daemon, or a console that syncs).
"""

from __future__ import annotations

import logging

from tui_inventory import secrets
from tui_inventory.config import Config
from tui_inventory.events.hub import HubRegistrar
from tui_inventory.events.listener import Listener
from tui_inventory.events.stream import EventStream, OnApplied
from tui_inventory.events.upstream import PasswordSource
from tui_inventory.store.repo import Store
from tui_inventory.tmf.client import RetryPolicy

log = logging.getLogger(__name__)


class EventService:
    """`start()` listens, opens the event run and registers the hubs; `stop()` undoes it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        passwords: PasswordSource,
        lease_holder: str | None,
        token: str | None = None,
        retry: RetryPolicy | None = None,
        on_applied: OnApplied | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.token = token
        self.stream = EventStream(
            config,
            store,
            passwords=passwords,
            lease_holder=lease_holder,
            retry=retry,
            on_applied=on_applied,
        )
        self.listener: Listener | None = None
        self.passwords = passwords
        self.retry = retry
        self.hubs: HubRegistrar | None = None

    @property
    def live(self) -> bool:
        return self.listener is not None

    def start(self) -> EventService:
        """Raises ListenerError (address in use) or SecretsError (no token can be kept)."""
        token = self.token or secrets.events_token()
        host, port = self.config.events.listen_address()
        self.listener = Listener(
            host, port, token, self.stream.submit, dialect=self.config.sync.dialect
        ).start()
        self.stream.start()
        callback = f"{self.config.events.callback_base(self.listener.port)}/{token}"
        self.hubs = HubRegistrar(
            self.config,
            self.store,
            passwords=self.passwords,
            callback=callback,
            say=lambda level, message: self.stream.log(level, None, message),
            retry=self.retry,
        )
        self.hubs.register()
        return self

    def stop(self) -> None:
        if self.hubs is not None:
            self.hubs.unregister()
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
        self.stream.stop()
