"""The store process: a run's page writes in a child process (why: see `tui_inventory.sync.writer`).

The sync's process starts `python -m tui_inventory.sync.store_process IN OUT CANCEL` with three
pipes and talks to it in pickled messages (`multiprocessing.connection` framing):

    sync → store:  ("open", url) · ("stream", id, StreamSpec) · ("page", id, page) ·
                   ("skip", id) (a page put after a cancel) · ("close",)
    store → sync:  ("ready",) · ("stored", id, counters) · ("error", id, exception) ·
                   ("dropped", id) · ("failed", exception)

The database URL travels through the pipe, never the command line (a PostgreSQL URL may hold a
password). Pages of a stream are stored in the order sent, each in one transaction with its
bookkeeping (`write_page`); after a page of a stream fails, its later pages are dropped, not
stored. A cancel of the sync is a byte on the CANCEL pipe, read before each page: from then on
every page is dropped, not stored, also those already sent (a cancel stops after the page in
hand; the buildup resumes from the last page stored). The child ignores SIGINT and SIGTERM — the sync's process decides when it stops, after the
page in hand — and it stops storing as soon as that process is gone (its pipe ends, or it is no
longer the parent), so an orphan never commits a page a resumed sync is already fetching again.

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from tui_inventory.domain import Counters
from tui_inventory.errors import StoreError
from tui_inventory.sync.writer import (
    OnStored,
    PageWriter,
    Pending,
    PreparedPage,
    StreamSpec,
    ThreadWriter,
    page_from_wire,
    page_to_wire,
    write_pages,
)

if TYPE_CHECKING:
    from tui_inventory.store.repo import Store

SEND_QUEUE = 8  # pages waiting to be sent to the store process, over all streams
PAGES_PER_TRANSACTION = 16  # at most, of one stream: as many as have arrived when one begins
# Pages sent and not yet acknowledged, over all streams: enough that a transaction is being
# gathered while one is written, and what the store process holds stays bounded.
IN_FLIGHT = 3 * PAGES_PER_TRANSACTION
STOP_TIMEOUT = 60.0  # seconds the store process may take to finish its page and exit
START_TIMEOUT = 60.0  # seconds it may take to start and open the store
# The store process never talks to the APIs: their passwords stay out of its environment.
PASSWORD_VARIABLES = frozenset({"TUI_INVENTORY_TMF638_PASSWORD", "TUI_INVENTORY_TMF639_PASSWORD"})


def available() -> bool:
    """Whether a store process can be started here (POSIX: pipes handed down by descriptor)."""
    return os.name == "posix"


def _portable(exc: BaseException) -> bytes:
    """`exc` pickled, or a RuntimeError saying what it was when it does not survive pickling."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


class _Stream:
    """The sync's side of one stream: pages sent and not yet acknowledged, in order. When the
    store process could not start, the stream is stored by a thread instead (`ThreadWriter`)."""

    def __init__(self, owner: StoreProcess, sid: int, spec: StreamSpec, on_stored: OnStored):
        self.owner = owner
        self.sid = sid
        self.spec = spec
        self.on_stored = on_stored
        self.unacked: deque[PreparedPage] = deque()
        self.state = Pending()
        self.settled = threading.Condition()
        self.instead: ThreadWriter | None = None
        self.announced = False

    def pending(self) -> set[str]:
        return self.instead.pending() if self.instead is not None else self.state.keys()

    def put(self, page: PreparedPage) -> None:
        if not self.announced and self.instead is None:
            if not self.owner.started():
                self.instead = self.owner.fallback(self.spec, self.on_stored)
            else:
                spec = self.spec
                self.owner._send(("stream", self.sid, spec))
                self.announced = True
        if self.instead is not None:
            self.instead.put(page)
            return
        self.raise_error()
        self.owner._take_room()
        self.state.add(page)
        with self.settled:
            self.unacked.append(page)
        try:
            self.owner._send(("page", self.sid, page))
        except BaseException:  # not queued (an error, Ctrl-C while waiting for room): not sent
            with self.settled:
                self.unacked.pop()
            self.state.done(page)
            self.owner._room.release()
            raise

    def raise_error(self) -> None:
        self.state.raise_error()
        self.owner.raise_failure()

    def close(self) -> None:
        """Wait until every page put was stored (or dropped); re-raise what went wrong."""
        if self.instead is not None:
            self.instead.close()
            return
        with self.settled:
            while self.unacked and self.owner.alive and self.owner.sending():
                self.settled.wait(0.5)
            if self.unacked and self.state.error is None:
                self.state.fail(self.owner.failure or StoreError("the store process stopped"))
        self.raise_error()

    # called on the receiver thread, in the order the store process answers

    def acknowledge(self, counters: Counters | None, error: BaseException | None) -> None:
        """The outcome of the oldest page sent; it leaves `unacked` only once recorded, so
        `close()` never returns before the last page's gap or error is counted."""
        with self.settled:
            page = self.unacked[0]
        try:
            if error is not None:
                self.state.fail(error)
            elif counters is not None:
                self.state.done(page)
                self.on_stored(page, counters)
            else:  # dropped (after a cancel, or a failed page before it): not stored
                self.state.done(page)
        except BaseException as exc:  # a listener's failure is the stream's
            self.state.fail(exc)
        finally:
            with self.settled:
                self.unacked.popleft()
                self.settled.notify_all()
            self.owner._room.release()


class StoreProcess:
    """A run's page writes, in a child process; `stream()` per inventory, `close()` at the end.

    Starting it does not wait for the child: it opens the store while the first pages are fetched,
    and a stream's first page waits until it has (or falls back to a thread when it could not).
    Pages are then queued, at most SEND_QUEUE, and sent by a thread of their own."""

    def __init__(self, store: Store, on_fallback: Callable[[str], None] | None = None) -> None:
        self.store = store
        self._on_fallback = on_fallback
        self._ready = threading.Event()
        self._startup_failure: str | None = None  # why it could not start, once known
        from_parent, to_child = os.pipe()  # (read end, write end)
        from_child, to_parent = os.pipe()
        cancel_in, self._cancel_out = os.pipe()
        self._cancelled = False
        # Re-entrant: the daemon's signal handler cancels on the thread it may interrupt here.
        self._cancel_lock = threading.RLock()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        try:
            self._proc = subprocess.Popen(
                # -P: nothing is imported from the working directory
                [
                    sys.executable,
                    "-P",
                    "-m",
                    __name__,
                    str(from_parent),
                    str(to_parent),
                    str(cancel_in),
                ],
                pass_fds=(from_parent, to_parent, cancel_in),
                env={k: v for k, v in os.environ.items() if k not in PASSWORD_VARIABLES},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
            )
        except BaseException:
            for fd in (to_child, from_parent, from_child, to_parent, cancel_in, self._cancel_out):
                os.close(fd)
            self._stderr.close()
            raise
        os.close(from_parent)
        os.close(to_parent)
        os.close(cancel_in)
        self._out = Connection(to_child, readable=False)
        self._in = Connection(from_child, writable=False)
        self._lock = threading.Lock()
        self._streams: dict[int, _Stream] = {}
        self._outbox: queue.Queue[tuple[Any, ...] | None] = queue.Queue(SEND_QUEUE)
        self._room = threading.BoundedSemaphore(IN_FLIGHT)  # taken by a page until acknowledged
        self.failure: BaseException | None = None
        self.alive = True
        self._outbox.put(("open", store.url))
        self._sender = threading.Thread(target=self._send_all, name="store-send", daemon=True)
        self._receiver = threading.Thread(target=self._receive, name="store-recv", daemon=True)
        self._sender.start()
        self._receiver.start()

    # -- the sync's side ------------------------------------------------------------------------

    def stream(self, spec: StreamSpec, on_stored: OnStored) -> PageWriter:
        self.raise_failure()
        with self._lock:
            sid = len(self._streams) + 1
            stream = self._streams[sid] = _Stream(self, sid, spec, on_stored)
        return stream  # announced to the store process with its first page

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def started(self) -> bool:
        """Wait until the store process has opened the store; False when it could not."""
        if not self._ready.wait(START_TIMEOUT):
            self._startup_failure = f"it did not start within {START_TIMEOUT:.0f} s"
            self._proc.kill()
        return self._startup_failure is None

    def fallback(self, spec: StreamSpec, on_stored: OnStored) -> ThreadWriter:
        """A writer thread for a stream, when the store process could not start."""
        with self._lock:
            first, self._on_fallback = self._on_fallback, None
        if first is not None:
            first(
                f"the store process could not start ({self._startup_failure}); "
                "storing on a thread of this process"
            )
        writer = ThreadWriter(self.store, spec, on_stored)
        if self._cancelled:
            writer.cancel()
        return writer

    def cancel(self) -> None:
        """The sync was cancelled: pages not stored yet are dropped, in the store process too."""
        with self._cancel_lock:
            if self._cancelled:  # (also once closed: the descriptor is no longer ours)
                return
            self._cancelled = True
            with contextlib.suppress(OSError):  # the child is gone: nothing left to drop
                os.write(self._cancel_out, b"c")
        for stream in list(self._streams.values()):
            if stream.instead is not None:
                stream.instead.cancel()

    def _take_room(self) -> None:
        """Wait until fewer than IN_FLIGHT pages are in the store process's hands."""
        while not self._room.acquire(timeout=0.5):
            self.raise_failure()
            if not self.alive:
                raise StoreError("the store process stopped")

    def _send(self, message: tuple[Any, ...]) -> None:
        while True:
            self.raise_failure()
            if not self.alive:
                raise StoreError("the store process stopped")
            try:
                self._outbox.put(message, timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Let the store process finish what was sent, then stop it."""
        with contextlib.suppress(BaseException):
            self._send(("close",))
        self._sender.join(STOP_TIMEOUT)
        try:
            self._proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._receiver.join(STOP_TIMEOUT)
        self._out.close()
        self._in.close()
        with self._cancel_lock:
            if self._cancel_out >= 0:
                self._cancelled = True  # a late cancel() writes nothing
                os.close(self._cancel_out)
                self._cancel_out = -1
        self._stderr.close()

    # -- threads --------------------------------------------------------------------------------

    def sending(self) -> bool:
        return self._sender.is_alive()

    def _send_all(self) -> None:
        try:
            while True:
                message = self._outbox.get()
                if message is None:
                    return
                if message[0] == "page":
                    if self._cancelled:  # no need to send it: the store process would drop it
                        message = ("skip", message[1])
                    else:
                        message = ("page", message[1], page_to_wire(message[2]))
                self._out.send(message)
                if message[0] == "close":
                    return
        except (OSError, EOFError):
            return  # the child is gone: the receiver reports it
        except BaseException as exc:  # a page that cannot be sent (pickling): the run fails
            self.failure = self.failure or exc
            self._proc.kill()

    def _receive(self) -> None:
        try:
            while True:
                message = self._in.recv()
                op = message[0]
                if op == "ready":
                    self._ready.set()
                elif op == "stored":
                    self._streams[message[1]].acknowledge(Counters(*message[2]), None)
                elif op == "error":
                    self._streams[message[1]].acknowledge(None, pickle.loads(message[2]))
                elif op == "dropped":
                    self._streams[message[1]].acknowledge(None, None)
                elif op == "failed":
                    failure = pickle.loads(message[1])
                    if self._ready.is_set():
                        self.failure = failure
                    else:
                        self._startup_failure = str(failure)
        except (EOFError, OSError):
            pass
        finally:
            code = self._proc.wait()
            with self._lock:
                streams = list(self._streams.values())
            if not self._ready.is_set():
                self._startup_failure = self._startup_failure or (
                    f"exit status {code}{self._last_words()}"
                )
                self._ready.set()
            if self.failure is None and any(s.unacked for s in streams):
                self.failure = StoreError(
                    f"the store process stopped unexpectedly (exit status {code}){self._last_words()}"
                )
            self.alive = False  # (after `failure`: whoever sees it stopped also sees why)
            with contextlib.suppress(queue.Empty):  # unblock a sender waiting for room
                while True:
                    self._outbox.get_nowait()
            with contextlib.suppress(queue.Full):
                self._outbox.put_nowait(None)
            for stream in streams:
                with stream.settled:
                    stream.settled.notify_all()

    def _last_words(self) -> str:
        """The last line the child wrote to stderr (a crash of the interpreter itself)."""
        try:
            self._stderr.seek(0)
            lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        except (OSError, ValueError):
            return ""
        return f": {lines[-1][:300]}" if lines else ""


# -- the child ----------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    cancel = select.poll()  # (poll: select() refuses descriptors numbered 1024 and up)
    cancel.register(int(argv[2]), select.POLLIN)
    cancelled = False
    parent = os.getppid()
    try:
        op, url = inbox.recv()
        assert op == "open"
        from tui_inventory.store.repo import Store

        store = Store(url)
    except BaseException as exc:
        outbox.send(("failed", _portable(exc)))
        return 1
    outbox.send(("ready",))
    # A thread keeps the pipe drained while SQLite works (it releases the interpreter lock), so
    # the pages the sync sent meanwhile are all at hand when a transaction starts.
    arrived: queue.Queue[tuple[Any, ...] | None] = queue.Queue()

    def receive() -> None:
        try:
            while True:
                arrived.put(inbox.recv())
        except (EOFError, OSError):
            arrived.put(None)  # the sync's process is gone

    threading.Thread(target=receive, name="store-inbox", daemon=True).start()
    streams: dict[int, tuple[StreamSpec, Counters]] = {}
    committed: dict[int, int] = {}  # stream -> its transactions so far
    failed: set[int] = set()
    held: dict[int, list[PreparedPage]] = {}  # stream -> pages taken, not stored yet

    def store_held(sid: int) -> bool:
        """Store the pages taken of stream `sid` in one transaction; False when orphaned."""
        nonlocal cancelled
        pages = held.pop(sid, [])
        if not pages:
            return True
        if not cancelled:
            cancelled = bool(cancel.poll(0))  # a byte, or EOF: the sync's process is gone
        if cancelled or sid in failed:
            for _ in pages:
                outbox.send(("dropped", sid))
            return True
        if os.getppid() != parent:
            return False  # orphaned: a page stored now could race a resumed sync
        spec, stored = streams[sid]
        try:
            counters = write_pages(store, spec, pages, stored)
        except BaseException as exc:
            failed.add(sid)
            outbox.send(("error", sid, _portable(exc)))
            for _ in pages[1:]:
                outbox.send(("dropped", sid))
        else:
            committed[sid] = committed.get(sid, 0) + 1
            for c in counters:
                outbox.send(("stored", sid, tuple(c.as_dict().values())))
        return True

    try:
        while True:
            # Each stream's pages that have arrived, up to a limit, go in one transaction. A
            # stream's first transaction holds its first page alone (the console shows the
            # inventory at once); the limit then doubles up to PAGES_PER_TRANSACTION.
            batch = [arrived.get()]
            while not arrived.empty() and len(batch) < 4 * PAGES_PER_TRANSACTION:
                batch.append(arrived.get_nowait())
            for message in batch:
                if message is None or message[0] == "close":
                    for sid in list(held):
                        if not store_held(sid):
                            return 0
                    return 0
                op, sid = message[0], message[1]
                if op == "stream":
                    streams[sid] = (message[2], Counters())
                    continue
                pages = held.setdefault(sid, [])
                if op == "skip":
                    if not store_held(sid):
                        return 0
                    outbox.send(("dropped", sid))
                    continue
                pages.append(page_from_wire(message[2]))
                limit = min(PAGES_PER_TRANSACTION, 2 ** committed.get(sid, 0))
                if len(pages) >= limit and not store_held(sid):
                    return 0
            for sid in list(held):
                if not store_held(sid):
                    return 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
