"""The sync engine: buildup (resumable), periodic update, cleanups with safe deletes, revisions.

It runs on whatever thread calls `run()` and reports through `on_event`; `cancel()` may be called
from any thread and takes effect between pages (and during retry waits).

The flow from an upstream page to a row on screen, module by module: docs/architecture.md.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence

from tui_inventory import KINDS
from tui_inventory.domain import Counters
from tui_inventory.errors import (
    AuthFailed,
    Cancelled,
    InventoryError,
    PageFailed,
    SecretsError,
    StoreError,
    TypeFailed,
)
from tui_inventory.store.lease import SyncLease
from tui_inventory.sync import events as ev
from tui_inventory.sync.cleanup import CleanupPolicy
from tui_inventory.sync.confirm import confirm_absence
from tui_inventory.sync.engine_base import EngineBase, EventSink, PasswordSource
from tui_inventory.sync.gaps import GapRepair
from tui_inventory.sync.pages import PageStream, strays_gap
from tui_inventory.sync.preparation import LOGGED_PER_REASON
from tui_inventory.sync.results import RunResult, TypeResult, _merge, _overall
from tui_inventory.sync.seen import SeenKeys
from tui_inventory.sync.store_process import StoreProcess
from tui_inventory.sync.writer import PageSink, PreparedPage, StreamSpec, ThreadSink
from tui_inventory.tmf.client import TmfClient
from tui_inventory.tmf.definitions import DEFINITIONS
from tui_inventory.tmf.factory import client_for
from tui_inventory.tmf.mapping import Mapped

__all__ = [  # importable from here, as before the split
    "LOGGED_PER_REASON",
    "EngineBase",
    "EventSink",
    "PasswordSource",
    "RunResult",
    "SyncEngine",
    "TypeResult",
]

log = logging.getLogger(__name__)


class SyncEngine(GapRepair, CleanupPolicy):
    """Runs buildups, updates and cleanups of the inventories against one store."""

    # -- a run ----------------------------------------------------------------------------------

    def run(
        self,
        mode: str = "auto",
        *,
        allow_mass_delete: bool = False,
        kinds: Sequence[str] = KINDS,
    ) -> RunResult:
        """One run (`buildup`, `update` or `auto`); raises LeaseHeld when another sync runs."""
        self._cancel.clear()
        self._explained_passwords = False
        # Losing the lease mid-run (another sync took it after our renewals failed) stops this
        # run at its next page, as a cancel does.
        shared = self.shared_lease
        lease = shared or SyncLease(self.store, ttl=self.lease_ttl, on_lost=self.cancel)
        if shared is None:
            lease.acquire()
        self._lease_holder = lease.holder  # each page commits only while it is still ours
        try:
            if mode == "auto":
                mode = self.choose_mode()
            self._run_id = self.store.start_run(mode, socket.gethostname(), os.getpid())
            self._emit(ev.RunStarted(self._run_id, mode, tuple(kinds)))
            self._log("info", None, f"{mode} started")
            results = {kind: TypeResult(kind) for kind in kinds}
            deferred = self._defer_indexes(mode)
            self._sink = self._open_sink(mode)
            try:
                self._run_types(mode, results, allow_mass_delete)
            finally:
                sink, self._sink = self._sink, ThreadSink(self.store)
                sink.close()
                if deferred:  # also after a cancel or a failure: the console needs them
                    self._build_indexes()
            state, reason = _overall(results)
            try:
                self.store.finish_run(self._run_id, state, reason)
            except StoreError as exc:  # e.g. a full disk: the outcome still reaches the operator
                log.error("could not record how run %s ended: %s", self._run_id, exc.message)
            self._log(
                "info" if state == "succeeded" else "warning",
                None,
                f"{mode} {state}{': ' + reason if reason else ''}",
                outcome=True,
            )
            self._emit(ev.RunFinished(self._run_id, mode, state, reason))
            return RunResult(self._run_id, mode, state, reason, results)
        except BaseException as exc:
            if self._run_id:
                self.store.finish_run(
                    self._run_id, "failed", f"internal error: {type(exc).__name__}"
                )
                self._emit(ev.RunFinished(self._run_id, mode, "failed", f"internal error: {exc}"))
            raise
        finally:
            if shared is None:
                lease.release()

    def _defer_indexes(self, mode: str) -> bool:
        """Whether this run builds the tables' sort indexes when it ends: a buildup into an
        empty inventory (`Store.defer_indexes`), or one resuming such a buildup."""
        store = self.store
        if store.indexes_deferred():  # a first buildup was killed before it built them
            if mode == "buildup":
                return True
            self._build_indexes()
            return False
        if mode != "buildup" or not store.defer_indexes():
            return False
        self._log(
            "info",
            None,
            "first buildup into an empty inventory: the tables' sort orders are built once, "
            "when it ends (until then sorting by a column is slower; search finds the new "
            "instances as they are stored)",
        )
        return True

    def _build_indexes(self) -> None:
        started = time.monotonic()
        self._log("info", None, "building the tables' sort orders…")
        try:
            self.store.build_deferred_indexes()
        except StoreError as exc:  # e.g. a full disk: the next run builds them
            self._log("error", None, f"could not build the indexes: {exc.message}")
            return
        self._log(
            "info",
            None,
            f"sort orders built in {time.monotonic() - started:.1f} s",
        )

    def _open_sink(self, mode: str) -> PageSink:
        """The store process for a buildup's pages; a writer thread per type otherwise."""
        if mode != "buildup" or not self.store_process:
            return ThreadSink(self.store)
        try:
            return StoreProcess(self.store, lambda message: self._log("warning", None, message))
        except OSError as exc:
            self._log(
                "warning",
                None,
                f"could not start the store process ({exc.strerror or exc}); "
                "storing on a thread of this process",
            )
            return ThreadSink(self.store)

    def _run_types(
        self, mode: str, results: dict[str, TypeResult], allow_mass_delete: bool
    ) -> None:
        """Each API's types in order (carriers after services: they look up its statuses); the
        two APIs side by side when pages may be fetched concurrently at all, one after the other
        (the connector's strictly sequential behaviour) with `sync.page_concurrency = 1`."""
        groups: dict[str, list[str]] = {}
        for kind in results:
            groups.setdefault(DEFINITIONS[kind].api, []).append(kind)
        work = [(api, kinds) for api, kinds in groups.items()]
        if self.config.sync.page_concurrency == 1 or len(work) == 1:
            for api, kinds in work:
                self._run_api(api, kinds, mode, results, allow_mass_delete)
            return
        errors: list[BaseException] = []

        def other(api: str, kinds: list[str]) -> None:
            try:
                self._run_api(api, kinds, mode, results, allow_mass_delete)
            except BaseException as exc:  # re-raised on the calling thread
                errors.append(exc)
            finally:
                self.store.db.close()  # this thread's connection

        threads = [
            threading.Thread(target=other, args=item, name=f"sync-{item[0]}", daemon=True)
            for item in work[1:]
        ]
        for t in threads:
            t.start()
        try:
            self._run_api(*work[0], mode, results, allow_mass_delete)
        finally:
            for t in threads:
                t.join()
        if errors:
            raise errors[0]

    def _run_api(
        self,
        api: str,
        kinds: list[str],
        mode: str,
        results: dict[str, TypeResult],
        allow_mass_delete: bool,
    ) -> None:
        client: TmfClient | None = None
        failed: str | None = None  # authentication failed: the API is stopped at once
        try:
            for kind in kinds:
                result = results[kind]
                self._kind_of[api] = kind
                self.store.start_type_run(self._run_id, kind, mode)
                if self.cancelled:
                    result.state, result.reason = "cancelled", "cancelled by the operator"
                elif failed is not None:
                    result.state, result.reason = "failed", failed
                else:
                    try:
                        client = client or self._client(api)
                        if mode == "buildup":
                            self._buildup(kind, client, result, allow_mass_delete)
                        else:
                            self._update(kind, client, result, allow_mass_delete)
                    except Cancelled:
                        result.state, result.reason = "cancelled", "cancelled by the operator"
                    except AuthFailed as exc:
                        failed = exc.message
                        result.state, result.reason = "failed", exc.message
                    except SecretsError as exc:  # the same for every type of the API: once
                        failed = self._no_password(api, exc)
                        result.state, result.reason = "failed", failed
                    except InventoryError as exc:
                        result.state, result.reason = "failed", exc.message
                self._finish_type(result)
        finally:
            if client is not None:
                client.close()

    def _client(self, api: str) -> TmfClient:
        url = self.config.url_for(api)
        if not url:
            raise TypeFailed(api, f"{api}.url is not set: `tui-inventory config set {api}.url URL`")
        return client_for(  # the password as an argument only: no local shows it
            self.config,
            api,
            lambda: self.passwords(api) if self.config.username_for(api) else None,
            factory=self.client_factory,
            retry=self.retry,
            cancel=self._cancel,
            on_retry=lambda message: self._retrying(api, message),
        )

    def _no_password(self, api: str, exc: SecretsError) -> str:
        """Why the API's password could not be had: what to do about it (a paragraph of choices)
        goes to the log once a run; each of the API's types ends with the why alone."""
        why, choices, _ = exc.message.partition(" Choices: ")
        if not choices:
            return why
        if not self._explained_passwords:
            self._explained_passwords = True
            self._log("error", None, f"no password could be read: {exc.message}")
        return f"{why} The sync log says what to do."

    def _retrying(self, api: str, message: str) -> None:
        """A page being tried again, said of the inventory it belongs to: the two APIs page side
        by side, so "page 3" alone does not say which listing it is."""
        kind = self._kind_of.get(api)
        self._log("warning", kind, f"{kind}: {message}" if kind else message)

    # -- pages ----------------------------------------------------------------------------------

    def _stream(
        self, client: TmfClient, kind: str, first: int, *, updated_only: bool
    ) -> PageStream:
        return PageStream(
            client,
            self.config.path_for(kind),
            first,
            concurrency=self.config.sync.page_concurrency,
            updated_only=updated_only,
            max_pages=self.max_pages,
        )

    # -- the pages of one type ------------------------------------------------------------------

    def _pages(
        self, kind: str, client: TmfClient, result: TypeResult, *, first: int, buildup: bool
    ) -> None:
        """Fetch, prepare and store a type's pages from `first` until a short page ends them.

        Pages are prepared (de-duplicated, mapped) here and stored by the run's `PageSink`, one
        transaction each, in page order; in a buildup, each transaction also records the keys seen
        and the next page to fetch, so a killed buildup resumes exactly after the last stored page.
        """
        store = self.store
        size = client.page_size
        started = time.monotonic()
        skip_log: dict[str, int] = {}
        seen_in_run: set[str] = set()  # an update's keys (small); a buildup tracks in the store
        total: int | None = None
        pages, gaps = result.pages, result.gaps  # handed to the writer so far

        c = result.counters
        stored_tally = (c.received, c.skipped, c.failed)  # as of the last page stored

        def stored(page: PreparedPage, counters: Counters) -> None:
            """After the page's transaction committed (on the writer's thread)."""
            nonlocal stored_tally
            stored_tally = page.tally
            _merge(result.counters, counters)  # a gap stores its valid entities, if any
            if page.failure is None:
                result.pages += 1
                self._page_stored(kind, result, page, started)
            else:
                result.gaps += 1
                self._log("error", kind, f"{kind}: gap at page {page.number}: {page.failure}")
                self._emit(ev.GapRecorded(self._run_id, kind, page.number, page.failure))

        def prepared(number: int, items: list[Mapped], received: int, failure: str | None) -> None:
            nonlocal pages, gaps
            pages, gaps = (pages + 1, gaps) if failure is None else (pages, gaps + 1)
            writer.put(
                PreparedPage(
                    number,
                    items,
                    received,
                    total,
                    failure,
                    tally=(c.received, c.skipped, c.failed),
                    pages=pages,
                    gaps=gaps,
                )
            )

        # A buildup's keys seen so far: this run's, and those tracked before it when it resumes
        # (most keys are told new without reading the store: see sync.seen).
        seen_keys = SeenKeys()
        if buildup:
            seen_keys.add(store.tracked_keys(kind))

        def tracked_among(keys: list[str]) -> set[str]:
            return store.tracked_among(kind, keys)

        def seen(keys: list[str]) -> set[str]:
            if not buildup:
                return seen_in_run.intersection(keys)
            # the pages in flight before the store: see sync.writer
            return seen_keys.among(keys, writer.pending, tracked_among)

        writer = self._sink.stream(
            StreamSpec(kind, self._run_id, buildup, self._lease_holder, size if buildup else 0),
            stored,
        )
        stream = self._stream(client, kind, first, updated_only=not buildup)
        try:
            for number, page in stream:
                if self.cancelled:
                    raise Cancelled()
                if isinstance(page, PageFailed):
                    prepared(number, [], 0, page.message)
                    continue
                total = page.total if page.total is not None else total
                mapped = self._prepare(kind, page.items, seen, result, skip_log)
                if not buildup:
                    seen_in_run.update(m.key for m in mapped)
                if failure := strays_gap(page, result.counters):  # logged as null keys are
                    self._skip_log(kind, "not-object", f"skipped: {failure[0]}", skip_log)
                prepared(number, mapped, len(page.items) + page.strays, failure and failure[1])
                if page.is_last(size):
                    stream.stop()
        finally:
            writer.close()
            if self.cancelled:  # the pages dropped unstored are received again on the resume
                c.received, c.skipped, c.failed = stored_tally
        if self.cancelled:  # a cancel that came while the last pages were stored: no cleanup
            raise Cancelled()
        if stream.capped:
            raise TypeFailed(
                DEFINITIONS[kind].api,
                f"{kind}: the listing did not end after {self.max_pages} pages; giving up without cleanup",
            )

    # -- buildup --------------------------------------------------------------------------------

    def _buildup(
        self, kind: str, client: TmfClient, result: TypeResult, allow_mass_delete: bool
    ) -> None:
        store = self.store
        state = store.buildup(kind)
        if state is None:
            state = store.begin_buildup(kind, self._run_id, client.page_size)
            store.drop_held(kind)
        else:
            before = state
            state = store.adopt_buildup(kind, self._run_id, client.page_size)
            resized = (
                f" (pages of {client.page_size} now, {before.page_size} before)"
                if state.next_page != before.next_page
                else ""
            )
            self._log(
                "info", kind, f"{kind}: resuming the buildup at page {state.next_page}{resized}"
            )
        self._emit(ev.TypeStarted(self._run_id, kind, "buildup", state.next_page))
        # The pages of the interrupted part that failed first (those given up with the type, in
        # an outage, lie before the resume point): their keys are tracked, each counts one gap
        # fewer, and when none is left the cleanup runs at the end as for an unbroken buildup.
        self._read_gaps_again(kind, client, result)
        earlier = store.buildup(kind)
        self._pages(kind, client, result, first=state.next_page, buildup=True)
        result.gaps += earlier.gaps if earlier is not None else 0  # the interrupted part's too
        if result.gaps:
            with store.transaction():
                store.finish_buildup(kind)
            result.state = "partial"
            result.reason = _missing(result.gaps)
            return
        if kind == "services":  # services are not cleaned up at the end of a buildup
            with store.transaction():
                store.finish_buildup(kind)
            result.state = "succeeded"
            return
        # Entities that moved between pages while they were fetched are kept (see sync.confirm).
        confirm_absence(
            store,
            kind,
            self._stream(client, kind, 1, updated_only=False),
            dialect=self.config.sync.dialect,
            cancelled=lambda: self.cancelled,
            log=lambda level, message: self._log(level, kind, message),
        )
        self._cleanup(kind, "buildup", result, allow_mass_delete)

    # -- update ---------------------------------------------------------------------------------

    def _update(
        self, kind: str, client: TmfClient, result: TypeResult, allow_mass_delete: bool
    ) -> None:
        self._emit(ev.TypeStarted(self._run_id, kind, "update", 1))
        read, failed = self._read_gaps_again(kind, client, result)
        result.gaps += failed
        if read and not failed and kind != "services":
            self._log(
                "info",
                kind,
                f"{kind}: every page of the last buildup is stored now; its cleanup (removing "
                f"what is gone upstream) does not run from an update — the next buildup (b) does it",
            )
        self._pages(kind, client, result, first=1, buildup=False)
        if result.gaps:
            result.state = "partial"
            result.reason = _missing(result.gaps)
            return
        if kind != "services":  # updates never remove carriers or resources
            result.state = "succeeded"
            return
        self._cleanup(kind, "update", result, allow_mass_delete)


def _missing(gaps: int) -> str:
    return f"{gaps} page(s) missing (gaps); no cleanup; the next run reads them again"
