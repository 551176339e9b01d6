"""Event notifications inside a sync process (the daemon, or a console that syncs).

Only the holder of the sync lease listens (SPEC §10), so with events on the process holds the
lease for as long as it runs, not only during a run: `start()` takes it (LeaseHeld when another
sync holds it: stand by as before), and the engine's runs use that same lease
(`SyncEngine.shared_lease`). While a run stores, the event stream is paused and the events queue:
a page fetched before an event but stored after it would put the older state back; once the run
ends each queued event reads its instance afresh.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

from tui_inventory.errors import InventoryError
from tui_inventory.events.service import EventService
from tui_inventory.events.stream import OnApplied
from tui_inventory.store.lease import SyncLease
from tui_inventory.sync.engine import SyncEngine

log = logging.getLogger(__name__)

Say = Callable[[str, str, dict[str, object]], None]  # (level, event, fields)


class EventsInProcess:
    def __init__(
        self, engine: SyncEngine, *, say: Say, on_applied: OnApplied | None = None
    ) -> None:
        self.engine = engine
        self.say = say
        self.on_applied = on_applied
        self.lease: SyncLease | None = None
        # The holder of the lease these events take, known before it is taken: whoever reads the
        # lease table (the console's dashboard) can tell this process's own from another sync's
        # even in the moment between the lease's commit and `self.lease`.
        self.holder: str | None = None
        self._starting = threading.Lock()  # the console starts them from two threads
        self.service: EventService | None = None
        self.failed = False  # could not start (said once): polling only from then on

    @property
    def enabled(self) -> bool:
        return self.engine.config.events.enabled and not self.failed

    @property
    def live(self) -> bool:
        return self.service is not None

    def start(self) -> None:
        """Take the lease and start listening; raises LeaseHeld while another sync holds it.

        Returns once the events are live or have failed (said once): a run started after it
        finds the lease in `engine.shared_lease`. A second caller waits for the first."""
        with self._starting:
            self._start()

    def _start(self) -> None:
        if not self.enabled or self.service is not None:
            return
        engine = self.engine
        lease = SyncLease(engine.store, ttl=engine.lease_ttl, on_lost=engine.cancel)
        self.holder = lease.holder  # before the lease can be seen in the database
        lease.acquire()
        self.lease = lease  # at once: this process's own, whoever looks at the lease now
        service = EventService(
            engine.config,
            engine.store,
            passwords=engine.passwords,
            lease_holder=lease.holder,
            retry=engine.retry,
            on_applied=self.on_applied,
        )
        try:
            service.start()
        except InventoryError as exc:
            with contextlib.suppress(Exception):
                service.stop()
            lease.release()
            self.lease = None
            self.failed = True
            message = f"events off, polling only: {exc.message}"
            log.warning("%s", message)  # the log file has it too, not only the screen
            self.say("error", "events_off", {"message": message})
            return
        self.service = service
        engine.shared_lease = lease
        listener = service.listener
        port = listener.port if listener is not None else 0
        self.say(
            "info",
            "events_live",
            {
                "listen": f"{engine.config.events.listen_address()[0]}:{port}",
                "hubs": sorted(service.hubs.registered) if service.hubs else [],
            },
        )

    @contextlib.contextmanager
    def around_run(self) -> Iterator[None]:
        """Hold the events while a run stores."""
        service = self.service
        if service is None:
            yield
            return
        service.stream.pause()
        try:
            yield
        finally:
            service.stream.resume()

    def stop(self) -> None:
        """A clean stop: unregister, stop listening, close the event run, release the lease."""
        service, lease = self.service, self.lease
        self.service = self.lease = None
        self.engine.shared_lease = None
        if service is not None:
            try:
                service.stop()
            except Exception:
                log.exception("stopping the event stream failed")
        if lease is not None:
            lease.release()
