"""Verify (SPEC §11): a buildup that compares instead of storing.

Every page is fetched and prepared as a buildup fetches and prepares it — the engine's own client,
page stream (concurrency, retries, gaps) and preparation (null keys, repeats, filtered types,
mapping), borrowed from a `SyncEngine` that never takes the lease and logs nowhere but the log
file — and each page is compared at once with the stored rows of its keys, so neither side is
ever held whole: memory stays bounded at a million instances. The keys listed upstream go to a
private temporary SQLite database (on disk once it outgrows its cache); at the end, a keyset walk
of the stored keys against it finds what upstream no longer lists.

missing: listed upstream, not stored (a service that is not Operational does not count: updates
remove those); extra: stored, not listed; different: mapped fields that differ (a modem's kept
status is no difference). A page that cannot be read makes the run incomplete (exit 2): the
report names it, and no "extra" is reported for that inventory, since unread pages would show as
extra.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_inventory import KINDS
from tui_inventory.config import Config
from tui_inventory.errors import AuthFailed, Cancelled, InventoryError, PageFailed, TypeFailed
from tui_inventory.store.readonly import ReadOnlyStore
from tui_inventory.store.records import dumps, with_status
from tui_inventory.sync.engine import PasswordSource, SyncEngine, TypeResult
from tui_inventory.tmf.client import RetryPolicy, TmfClient
from tui_inventory.tmf.definitions import DEFINITIONS
from tui_inventory.tmf.mapping import OPERATIONAL_STATUSES, Mapped, is_modem

log = logging.getLogger(__name__)

Progress = Callable[["VerifyProgress"], None]


@dataclass(frozen=True)
class VerifyProgress:
    kind: str
    page: int
    checked: int
    total: int | None  # upstream's count when it says (X-Total-Count)


@dataclass(frozen=True)
class Difference:
    key: str
    fields: dict[str, tuple[Any, Any]]  # name -> (stored, upstream)


@dataclass
class InventoryCheck:
    kind: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    different: list[Difference] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # pages not read, or why the type failed
    upstream: dict[str, dict[str, Any]] = field(default_factory=dict)  # a missing one's fields

    @property
    def identical(self) -> bool:
        return not (self.missing or self.extra or self.different or self.failures)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "checked": self.checked,
            "missing": self.missing,
            "extra": self.extra,
            "different": [
                {
                    "id": d.key,
                    "fields": {n: {"stored": s, "upstream": u} for n, (s, u) in d.fields.items()},
                }
                for d in self.different
            ],
        }
        if self.failures:  # only when incomplete: the pages it could not read
            out["failures"] = self.failures
        return out


@dataclass
class VerifyReport:
    inventories: dict[str, InventoryCheck]

    @property
    def complete(self) -> bool:
        return not any(c.failures for c in self.inventories.values())

    @property
    def identical(self) -> bool:
        return all(c.identical for c in self.inventories.values())

    @property
    def exit_status(self) -> int:
        return 2 if not self.complete else 0 if self.identical else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "identical": self.identical,
            "inventories": {k: c.to_json() for k, c in self.inventories.items()},
        }


class UpstreamKeys:
    """The keys one listing held, in a private temporary SQLite database (spills to disk)."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute("CREATE TABLE k (key TEXT PRIMARY KEY) WITHOUT ROWID")

    def among(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ", ".join("?" * len(part))
            rows = self.db.execute(f"SELECT key FROM k WHERE key IN ({marks})", part)
            found.update(k for (k,) in rows)
        return found

    def add(self, keys: Sequence[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO k VALUES (?)", ((k,) for k in keys))

    def close(self) -> None:
        self.db.close()


class _Reader(SyncEngine):
    """The engine as a reader: its client, streams and preparation; its log to the log file only
    (the sync log is in the store, and a verify writes nothing there)."""

    def _log(self, level: str, kind: str | None, message: str, *, outcome: bool = False) -> None:
        log.log(logging.getLevelName(level.upper()), "verify: %s", message)


class Verifier:
    def __init__(
        self,
        config: Config,
        store: ReadOnlyStore,
        *,
        passwords: PasswordSource,
        on_progress: Progress | None = None,
        retry: RetryPolicy | None = None,
        client_factory: Callable[..., TmfClient] = TmfClient,
    ) -> None:
        self.store = store
        self.on_progress = on_progress or (lambda p: None)
        self._engine = _Reader(
            config,
            store,
            passwords=passwords,
            retry=retry,
            client_factory=client_factory,
            store_process=False,
        )

    def cancel(self) -> None:
        self._engine.cancel()

    def run(self, kinds: Sequence[str] = KINDS) -> VerifyReport:
        """Verify `kinds`; each API's inventories on a thread of their own, as a sync does."""
        report = VerifyReport({k: InventoryCheck(k) for k in KINDS if k in kinds})
        groups: dict[str, list[str]] = {}
        for kind in report.inventories:
            groups.setdefault(DEFINITIONS[kind].api, []).append(kind)
        errors: list[BaseException] = []

        def run_api(api: str, kinds: list[str]) -> None:
            try:
                self._run_api(api, kinds, report)
            except BaseException as exc:  # re-raised on the calling thread
                errors.append(exc)
            finally:
                self.store.db.close()  # this thread's connection

        threads = [
            threading.Thread(target=run_api, args=item, name=f"verify-{item[0]}", daemon=True)
            for item in groups.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        if self._engine.cancelled:
            raise Cancelled()
        return report

    def _run_api(self, api: str, kinds: list[str], report: VerifyReport) -> None:
        client: TmfClient | None = None
        refused: str | None = None  # authentication failed: the API is not asked again
        try:
            for kind in kinds:
                check = report.inventories[kind]
                if refused is not None:
                    check.failures.append(refused)
                    continue
                try:
                    client = client or self._engine._client(api)
                    self._verify(kind, client, check)
                except Cancelled:
                    raise
                except AuthFailed as exc:
                    refused = exc.message
                    check.failures.append(exc.message)
                except InventoryError as exc:
                    check.failures.append(exc.message)
        finally:
            if client is not None:
                client.close()

    def _verify(self, kind: str, client: TmfClient, check: InventoryCheck) -> None:
        engine = self._engine
        keys = UpstreamKeys()
        result = TypeResult(kind)
        skip_log: dict[str, int] = {}
        size = client.page_size
        try:
            stream = engine._stream(client, kind, 1, updated_only=False)
            for number, page in stream:
                if engine.cancelled:
                    raise Cancelled()
                if isinstance(page, PageFailed):
                    check.failures.append(f"page {number}: {page.message}")
                    continue
                mapped = engine._prepare(kind, page.items, keys.among, result, skip_log)
                keys.add([m.key for m in mapped])
                self._compare(kind, mapped, check)
                check.checked += len(mapped)
                self.on_progress(VerifyProgress(kind, number, check.checked, page.total))
                if page.is_last(size):
                    stream.stop()
            if stream.capped:
                raise TypeFailed(client.api, f"{kind}: the listing did not end")
            if not check.failures:
                for batch in self.store.key_batches(kind):
                    listed = keys.among(batch)
                    check.extra.extend(k for k in batch if k not in listed)
        finally:
            keys.close()

    def _compare(self, kind: str, mapped: list[Mapped], check: InventoryCheck) -> None:
        stored = self.store.stored_rows(kind, [m.key for m in mapped])
        for m in mapped:
            row = stored.get(m.key)
            if row is None:
                if kind == "services" and m.status.lower() not in OPERATIONAL_STATUSES:
                    continue  # updates remove those: not missing
                check.missing.append(m.key)
                check.upstream[m.key] = m.fields
                continue
            status, stored_json = row
            upstream_json = dumps(m.fields)
            if upstream_json == stored_json:  # the store's digest compares the same text
                continue
            upstream = json.loads(upstream_json)
            if is_modem(m) and status != m.status:  # modems keep their stored status
                upstream = with_status(kind, upstream, status)
            old = json.loads(stored_json)
            diff = {
                name: (old.get(name), upstream.get(name))
                for name in sorted(old.keys() | upstream.keys())
                if old.get(name) != upstream.get(name)
            }
            if diff:
                check.different.append(Difference(m.key, diff))
