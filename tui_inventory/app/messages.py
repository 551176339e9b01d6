"""App-wide Messages: what the sync worker reports and the signal that the store's data changed.

Widget-specific Messages live in their widget; these are the ones several parts of the console
share. Each carries plain values (engine events are frozen dataclasses), safe to post from the
worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui_inventory.sync import events as ev
from tui_inventory.sync.engine import RunResult


@dataclass
class DataChanged(Message):
    """The store changed (a page stored, a run finished): views re-read what they show.

    The app posts it to every `InventoryView` and `ChangesView`, at most about twice a second.
    """


@dataclass
class SyncProgress(Message):
    """A page of one type was stored. A burst of these collapses into the latest one."""

    event: ev.PageStored

    def can_replace(self, message: Message) -> bool:
        # `message` is the next one queued: it supersedes this one when it reports the same
        # type of the same run (the counters in a PageStored are cumulative).
        return (
            isinstance(message, SyncProgress)
            and message.event.kind == self.event.kind
            and message.event.run_id == self.event.run_id
        )


@dataclass
class SyncEvent(Message):
    """Any other engine event (run and type started or finished, gaps, log lines, cleanups)."""

    event: ev.EngineEvent


@dataclass
class SyncStarted(Message):
    """A run was handed to the worker thread (before the engine has taken the lease)."""

    mode: str


@dataclass
class SyncFinished(Message):
    """The engine returned: the run ended (succeeded, partial, failed or cancelled)."""

    result: RunResult


@dataclass
class SyncRefused(Message):
    """The run could not start or broke off: another sync holds the lease, a bad setting, a bug.

    `lease_held` is True when another process is syncing this database: the console watches
    instead of syncing for this run.
    """

    title: str
    message: str
    lease_held: bool = False


@dataclass
class CleanupSettled(Message):
    """A held-back cleanup was confirmed (and ran) or discarded by the operator."""

    kind: str
    confirmed: bool
    removed: int
    error: str = ""
