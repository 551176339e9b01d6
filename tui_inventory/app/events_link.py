"""Event notifications in a console that syncs (SPEC §10): the listener and its stream run here,
under the sync lease this console then holds, and each applied event refreshes the views.

A non-visual widget: it starts the events in a thread worker (taking the lease and registering
the hubs are network and database calls), lends the lease to the console's runs (see
`SyncWorker`) and stops them when the console closes. A console that cannot have them (another
process holds the lease, the port is taken) says so once and polls as before.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from textual import work
from textual.message import Message
from textual.widget import Widget

from tui_inventory.errors import InventoryError
from tui_inventory.events import stream
from tui_inventory.events.runner import EventsInProcess
from tui_inventory.store.lease import SyncLease
from tui_inventory.sync.engine import SyncEngine
from tui_inventory.text import plain

log = logging.getLogger(__name__)


class EventsLink(Widget):
    DEFAULT_CSS = """
    EventsLink { display: none; }
    """

    class Applied(Message):
        """Events were stored; bursts coalesce (one refresh serves them all)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, EventsLink.Applied)

    class Said(Message):
        def __init__(self, level: str, text: str) -> None:
            super().__init__()
            self.level = level
            self.text = text

    def __init__(self, engine: SyncEngine) -> None:
        super().__init__()
        self.events = EventsInProcess(engine, say=self._say, on_applied=self._applied)

    @property
    def lease(self) -> SyncLease | None:
        return self.events.lease

    @property
    def holder(self) -> str | None:
        """The holder of the lease these events take or hold (set before it is taken)."""
        return self.events.holder

    def start_before_run(self) -> None:
        """In a run's thread, before the run: the events take the lease first (waiting for a
        start under way in `_start`), so the run uses theirs. Raises LeaseHeld while another
        process syncs, as the run itself would."""
        self.events.start()

    @contextlib.contextmanager
    def around_run(self) -> Iterator[None]:
        with self.events.around_run():
            yield

    def on_mount(self) -> None:
        self._start()

    @work(thread=True, exclusive=True, exit_on_error=False, group="events", name="events")
    def _start(self) -> None:
        try:
            self.events.start()
        except InventoryError as exc:  # the lease is another's: that process listens
            self.post_message(self.Said("info", f"events not started here: {exc.message}"))

    def _say(self, level: str, event: str, fields: dict[str, object]) -> None:
        if event == "events_live":
            text = f"events live, listening on {fields.get('listen')}"
        else:
            text = str(fields.get("message", event))
        self.post_message(self.Said(level, text))

    def _applied(self, applied: stream.Applied) -> None:
        self.post_message(self.Applied())

    def on_events_link_applied(self, message: EventsLink.Applied) -> None:
        refresh = getattr(self.app, "refresh_data", None)
        if refresh is not None:
            refresh()

    def on_events_link_said(self, message: EventsLink.Said) -> None:
        dashboard = getattr(self.app, "dashboard", None)
        if dashboard is not None:
            dashboard.log_line(message.level, plain(message.text, limit=600))  # said whole
        refresh = getattr(self.app, "refresh_data", None)
        if refresh is not None:
            refresh(now=True)

    def on_unmount(self) -> None:
        try:
            self.events.stop()
        except Exception:
            log.exception("stopping the events failed")
