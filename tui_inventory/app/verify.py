"""Verify from the console (`v`, SPEC §11): a thread worker compares the store with upstream,
its progress on the dashboard's log, then the report: counts per inventory, then every entry —
enter opens the stored instance, or, for a missing one, what upstream sent; `/` finds text in the
entries (a key, an inventory, a field), `n`/`N` the next and the previous, as on a page (`pager`).

The verify opens the store read-only and takes no lease: it runs beside the console's sync. Every
key, name and value is API data, shown as literal text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from tui_inventory.errors import InventoryError
from tui_inventory.store.readonly import ReadOnlyStore
from tui_inventory.sync.verify import Verifier, VerifyProgress, VerifyReport
from tui_inventory.text import plain
from tui_inventory.tmf.definitions import DEFINITIONS

from .changes import FeedTable
from .instance import InstanceScreen
from .pager import FindBar, PageScroll

if TYPE_CHECKING:
    from textual.app import App

    from tui_inventory.config import Config

    from .dashboard import Dashboard

PROGRESS_EVERY = 1.0  # seconds between progress lines on the dashboard


@dataclass(frozen=True)
class VerifyJob:
    """What a verify needs from the console: where it reports, what it reads and with what."""

    app: App[Any]
    dashboard: Dashboard
    config: Config
    db_url: str
    passwords: Callable[[str], str | None]


def start_verify(job: VerifyJob) -> None:
    """Run a verify in a thread worker (one at a time); the report screen opens when it ends."""
    app = job.app
    if any(w.group == "verify" and not w.is_finished for w in app.workers):
        app.notify("A verify is running already.", severity="warning")
        return
    job.dashboard.log_line("info", "verify started: reading every page upstream, read-only")
    app.notify(  # at once: the report takes a while, and the log may be off screen
        "Verify running — reading every page upstream (read-only); the report opens when it ends.",
        title="Verify",
    )
    app.run_worker(
        lambda: _verify(job), thread=True, group="verify", exclusive=True, exit_on_error=False
    )


def _verify(job: VerifyJob) -> None:
    app, dashboard = job.app, job.dashboard
    last = 0.0
    worker = get_current_worker()
    verifier: Verifier | None = None

    def progress(p: VerifyProgress) -> None:
        nonlocal last
        if worker.is_cancelled and verifier is not None:  # the console is closing
            verifier.cancel()
            return
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            of = f" of {p.total}" if p.total else ""
            line = f"verify: {p.kind} page {p.page}, {p.checked}{of} checked"
            app.call_from_thread(dashboard.log_line, "info", line)

    try:
        store = ReadOnlyStore(job.db_url)
        try:
            verifier = Verifier(job.config, store, passwords=job.passwords, on_progress=progress)
            report = verifier.run()
        finally:
            store.close()
    except InventoryError as exc:
        if worker.is_cancelled:
            return
        app.call_from_thread(dashboard.log_line, "error", f"verify failed: {exc.message}")
        app.call_from_thread(
            app.notify, exc.message, title="Verify failed", severity="error", markup=False
        )
        return
    outcome = (
        "identical" if report.identical else "differences" if report.complete else "incomplete"
    )
    if worker.is_cancelled:
        return
    app.call_from_thread(dashboard.log_line, "info", f"verify finished: {outcome}")
    app.call_from_thread(app.push_screen, VerifyReportScreen(report))


def summary(report: VerifyReport) -> Text:
    """The report's head: the outcome, then one line of counts per inventory."""
    if report.identical:
        head = "The store is identical to upstream."
    elif report.complete:
        head = "The store differs from upstream."
    else:
        head = "Verify could not read everything (see the failures); the report is incomplete."
    text = Text(head + "\n", style="bold")
    for kind, c in report.inventories.items():
        text.append(
            f"{DEFINITIONS[kind].title:10} checked {c.checked}, missing {len(c.missing)}, "
            f"extra {len(c.extra)}, different {len(c.different)}\n"
        )
        for failure in c.failures:
            text.append(f"  ⚠ {plain(failure, limit=200)}\n", style="red")
    return text


class UpstreamScreen(Screen[None]):
    """What upstream sent for an instance the store lacks: its mapped fields, literally."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, kind: str, key: str, fields: dict[str, Any]) -> None:
        super().__init__()
        self.kind, self.key, self.fields = kind, key, fields

    def compose(self) -> ComposeResult:
        title = DEFINITIONS[self.kind].title
        yield Static(Text(f"{title} {plain(self.key)}: missing from the store", style="bold"))
        with PageScroll():
            body = Text("What upstream sent (mapped):\n")
            for name, value in self.fields.items():
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                body.append(f"{plain(name)}: {plain(shown, limit=2000)}\n")
            yield Static(body)
        yield FindBar()
        yield Footer()


class ReportTable(FeedTable):
    """The report's entries, read as a list: `/` finds text in them (`pager.FindBar`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "find", "Find", tooltip="find an entry (key, inventory, field)"),
        Binding("n", "find_next(1)", "Next match", show=False),
        Binding("N", "find_next(-1)", "Previous match", show=False),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.query_text = ""
        self.matches: list[int] = []  # the rows that hold it
        self.current = -1

    @property
    def bar(self) -> FindBar:
        return self.screen.query_one(FindBar)

    def action_find(self) -> None:
        self.bar.open(self)

    def find(self, text: str) -> tuple[int, int]:
        self.query_text = text
        needle = text.casefold()
        rows = (self.get_row_at(n) for n in range(self.row_count)) if needle else iter(())
        self.matches = [
            n for n, row in enumerate(rows) if any(needle in c.plain.casefold() for c in row)
        ]
        self.current = 0 if self.matches else -1
        self._show_current()
        return self.current + 1, len(self.matches)

    def action_find_next(self, step: int) -> None:
        if not self.query_text:
            self.notify("Type / and the text to find first.", timeout=3)
        elif not self.matches:
            self.notify(f"“{self.query_text}” is not in the report.", timeout=3, markup=False)
        else:
            self.current = (self.current + step) % len(self.matches)
            self._show_current()

    def _show_current(self) -> None:
        if self.current >= 0:
            self.move_cursor(row=self.matches[self.current])
            self.bar.show_count(self.current + 1, len(self.matches))


class VerifyReportScreen(Screen[None]):
    """Counts per inventory, then the entries; enter opens one."""

    DEFAULT_CSS = """
    VerifyReportScreen #verify-summary { height: auto; padding: 0 1; }
    VerifyReportScreen #verify-entries { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, report: VerifyReport) -> None:
        super().__init__()
        self.report = report
        self.entries: list[tuple[str, str, str]] = []  # (kind, result, key) by row

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(summary(self.report), id="verify-summary")
            yield ReportTable(cursor_type="row", zebra_stripes=True, id="verify-entries")
        yield FindBar()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#verify-entries", ReportTable)
        for title in ("Inventory", "Result", "Key", "What differs"):
            table.add_column(title, key=title)
        for kind, c in self.report.inventories.items():
            title = DEFINITIONS[kind].title
            rows = [(k, "missing", "") for k in c.missing]
            rows += [(k, "extra", "") for k in c.extra]
            rows += [(d.key, "different", ", ".join(d.fields)) for d in c.different]
            for key, result, what in rows:
                self.entries.append((kind, result, key))
                cells = (title, result, plain(key, limit=60), plain(what, limit=80))
                table.add_row(*(Text(x) for x in cells), key=str(len(self.entries) - 1))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        kind, result, key = self.entries[int(str(event.row_key.value))]
        if result == "missing":
            fields = self.report.inventories[kind].upstream.get(key, {})
            self.app.push_screen(UpstreamScreen(kind, key, fields))
        else:
            self.app.push_screen(InstanceScreen(kind, key))
