"""Inventory tables: one definition's instances, searchable, sortable, filterable, exportable.

`InventoryView` puts the search box (debounced; a newer search interrupts the older), the status
filter and the result count over an `InventoryTable`, and exports what the table shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, Select
from textual.worker import Worker, WorkerState

from tui_inventory.store.export import export_file
from tui_inventory.store.table_query import SORTS
from tui_inventory.text import plain

from .export import Exported, ExportScreen
from .filters import FilterSelect
from .inventory_table import InventoryTable
from .textkeys import focus_now

__all__ = ["ExportScreen", "InventoryTable", "InventoryView", "SearchInput"]

DEBOUNCE = 0.15  # seconds between the last keystroke of a search and the query
# A search's counts by status collect all its matches (a few hundred ms for a broad search of a
# million): while a sync changes the data, they are read again at most this often, one at a time.
RECOUNT_EVERY = 3.0


class SearchInput(Input):
    """The search box: esc (or enter) hands the keys back to the table, at once: a tab typed
    right after esc goes on to the next inventory, not back to this one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "done",
            "Back to the table",
            tooltip="(or enter) the keys go back to the table; the search stays",
        )
    ]

    class Done(Message):
        pass

    async def action_submit(self) -> None:
        await super().action_submit()
        self.action_done()

    def action_done(self) -> None:
        view = next((a for a in self.ancestors if isinstance(a, InventoryView)), None)
        if view is not None:
            focus_now(view.table)
        self.post_message(self.Done())


@dataclass(frozen=True)
class _Statuses:
    search: str | None  # the search they were read for
    total: int  # the kind's instances
    statuses: list[tuple[str, int]]  # the search's matches (or the kind's instances) by status


class InventoryView(Vertical):
    """One definition's table with search, status filter, sorting and export."""

    DEFAULT_CSS = """
    InventoryView { height: 1fr; }
    InventoryView > #bar { dock: top; height: 3; }
    InventoryView #search { width: 2fr; }
    InventoryView #status { width: 1fr; min-width: 20; max-width: 30; }
    InventoryView #count { width: auto; min-width: 14; padding: 1 1 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "cycle_sort", "Sort", tooltip="sort by the next column"),
        Binding("O", "reverse_sort", "Reverse", tooltip="reverse the sort"),
        Binding("f", "filter", "Filter", tooltip="show one status only"),
        Binding("e", "export", "Export", tooltip="write what the table shows to CSV or JSON"),
    ]

    def __init__(self, kind: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.kind = kind
        self.table = InventoryTable(kind)
        self._stale = False
        self._debounce: Timer | None = None
        # By status: the search's matches (without a search, the kind's instances), as last
        # read, and as the filter offers them (not changed while its list is open).
        self._statuses: list[tuple[str, int]] | None = None
        self._counting = False
        self._counted_at = -RECOUNT_EVERY
        self._recount: Timer | None = None
        self._offered: list[tuple[str, int]] | None = None
        self._total: int | None = None  # the kind's instances

    def compose(self) -> ComposeResult:
        # The table first, so it is the pane's first focusable widget (the bar docks on top).
        yield self.table
        with Horizontal(id="bar"):
            yield SearchInput(placeholder="Search (/)", id="search")
            yield FilterSelect([], prompt="All statuses", id="status", home=lambda: self.table)
            yield Label("", id="count")

    def on_mount(self) -> None:
        self.table.reload()
        self._load_statuses()

    def focus_search(self) -> None:
        focus_now(self.query_one(SearchInput))

    # -- data changes -------------------------------------------------------------------------

    def on_data_changed(self, _: Message) -> None:
        if self.table.is_on_screen or self.is_on_screen:
            self.table.data_changed()
            self._load_statuses(changed=True)
        else:
            self._stale = True  # read when shown: a hidden tab costs nothing during a buildup

    def on_show(self) -> None:
        if self._stale:
            self._stale = False
            self.table.data_changed()
            self._load_statuses()

    def _load_statuses(self, *, changed: bool = False) -> None:
        """Read the filter's counts; after a change of the data (`changed`), a search's counts
        at most every RECOUNT_EVERY seconds and never two reads at once (see RECOUNT_EVERY)."""
        search = self.table.table_query.search
        now = time.monotonic()
        busy = self._counting or now - self._counted_at < RECOUNT_EVERY
        if changed and search is not None and busy:
            if self._recount is None:
                self._recount = self.set_timer(RECOUNT_EVERY, self._recount_now)
            return
        self._counting, self._counted_at = True, now
        self._read_statuses(search)

    def _recount_now(self) -> None:
        self._recount = None
        self._load_statuses(changed=True)

    @work(thread=True, exclusive=True, group="statuses", exit_on_error=False)
    def _read_statuses(self, search: str | None) -> _Statuses:
        iq = self.table.iq
        whole = iq.statuses(self.kind)
        matches = iq.statuses(self.kind, search) if search is not None else whole
        return _Statuses(search, sum(n for _, n in whole), matches)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "statuses" and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._counting = False
        if event.worker.group == "statuses" and event.state == WorkerState.SUCCESS:
            result = event.worker.result
            if not isinstance(result, _Statuses):
                return
            if result.search != self.table.table_query.search:
                return  # a newer search's are being read
            self._statuses, self._total = result.statuses, result.total
            self._offer_statuses()
            self._show_count()

    def _offer_statuses(self) -> None:
        """Offer the statuses last read, with their counts, in the filter (unless its list is
        open: not under the operator's cursor)."""
        statuses = self._statuses
        select: Select[str] = self.query_one("#status", Select)
        if statuses is None or statuses == self._offered or select.expanded:
            return
        self._offered = statuses
        current = select.value
        if isinstance(current, str) and all(s != current for s, _ in statuses):
            # The filter's status has no instance left (an update removed them): keep it chosen
            # and shown with its 0, so the empty table says why, and "All statuses" undoes it.
            statuses = [*statuses, (current, 0)]
        options = [(Text(f"{plain(s, limit=40) or '(none)'} ({n:,})"), s) for s, n in statuses]
        with select.prevent(Select.Changed):
            select.set_options(options)
            if isinstance(current, str) and any(s == current for _, s in options):
                select.value = current

    # -- the query ----------------------------------------------------------------------------

    def on_inventory_table_loaded(self, event: InventoryTable.Loaded) -> None:
        self._show_count()

    def _show_count(self) -> None:
        """The result count: "12 of 40,213" when filtered or searched, else "40,213 services";
        "counting…" while a broad search's count is read."""
        q, shown = self.table.table_query, self.table.total
        if self.table.counting:
            text = "counting…"
        elif q.status is None and q.search is None:
            text = f"{shown:,} {self.kind}"
        elif self._total is not None:
            text = f"{shown:,} of {self._total:,}"
        else:
            text = f"{shown:,} {'match' if shown == 1 else 'matches'}"
        self.query_one("#count", Label).update(Text(text))

    def on_inventory_table_sort_clicked(self, event: InventoryTable.SortClicked) -> None:
        q = self.table.table_query
        same = q.sort == event.column
        self.table.reload(replace(q, sort=event.column, descending=same and not q.descending))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, self._search)

    def _search(self) -> None:
        self._debounce = None
        text = self.query_one(SearchInput).value
        self.table.reload(replace(self.table.table_query, search=text or None), keep=False)
        self._load_statuses()  # the filter counts the search's matches

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search" and self._debounce is not None:
            self._debounce.stop()
            self._search()

    def on_select_changed(self, event: Select.Changed) -> None:
        status = event.value if isinstance(event.value, str) else None
        self.table.reload(replace(self.table.table_query, status=status), keep=False)

    def action_cycle_sort(self) -> None:
        q = self.table.table_query
        column = SORTS[(SORTS.index(q.sort) + 1) % len(SORTS)]
        self.table.reload(replace(q, sort=column, descending=False))

    def action_reverse_sort(self) -> None:
        q = self.table.table_query
        self.table.reload(replace(q, descending=not q.descending))

    def action_filter(self) -> None:
        self._offer_statuses()
        self.query_one("#status", FilterSelect).open()

    # -- export -------------------------------------------------------------------------------

    def action_export(self) -> None:
        default = f"{self.kind}-{datetime.now():%Y%m%d-%H%M%S}.csv"
        shown = "all the" if self.table.counting else f"{self.table.total:,}"
        what = f"{shown} {self.kind} (what the table shows)"
        q = self.table.table_query
        screen = ExportScreen(default, what, lambda path: export_file(self.table.iq.store, q, path))
        self.app.push_screen(screen, self._exported)

    def _exported(self, done: Exported | None) -> None:
        if done is not None:
            n, path = done
            self.notify(f"{n:,} {self.kind} written to {plain(path)}", markup=False)
