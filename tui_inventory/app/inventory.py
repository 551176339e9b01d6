"""Inventory tables: one definition's instances, searchable, sortable, filterable, exportable.

`InventoryTable` is a Line API widget over `InventoryQuery`: it holds only the rows around the
screen and reads more in a thread worker as it scrolls, so a million instances open as fast as a
hundred. `InventoryView` adds the search box (debounced; a newer search cancels the older), the
status filter, the result count and the export dialog. Every cell is API data: it is shown
through `plain` as literal text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, cast

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from tui_inventory.store.query import SORTS, InventoryQuery, Row, TableQuery
from tui_inventory.store.repo import Store
from tui_inventory.text import plain
from tui_inventory.tmf.definitions import DEFINITIONS

from .instance import InstanceScreen

TITLES = {
    "name": "Name",
    "status": "Status",
    "type": "Type",
    "site": "Site",
    "updated_at": "Updated",
}
DEBOUNCE = 0.15  # seconds between the last keystroke of a search and the query


def column_widths(width: int) -> list[int]:
    """Cell widths of SORTS' columns in `width` cells (each cell has one space before it)."""
    wide = width >= 120
    fixed = [18, 0, 14, 14, 16, 16] if wide else [14, 0, 11, 10, 10, 10]
    fixed[1] = max(8, width - sum(fixed) - len(fixed))
    return fixed


def fit(value: Any, width: int) -> str:
    """`value` as literal text in exactly `width` cells, cut with an ellipsis."""
    text = plain(value, limit=width * 2 + 1)
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width else ""
    return set_cell_size(text, width)


@dataclass(frozen=True)
class _Loaded:
    """What a reload read: the count, where the cursor and the screen go, and rows there."""

    epoch: int
    total: int
    cursor: int
    top: int
    start: int
    rows: list[Row]


@dataclass(frozen=True)
class _Filled:
    epoch: int
    start: int
    rows: list[Row]


class InventoryTable(ScrollView, can_focus=True):
    """The rows of one table query; only those near the screen are held."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "inventory-table--header",
        "inventory-table--cursor",
        "inventory-table--cursor-blurred",
        "inventory-table--pending",
    }
    DEFAULT_CSS = """
    InventoryTable { height: 1fr; overflow-x: hidden; overflow-y: scroll; background: $surface; }
    InventoryTable > .inventory-table--header { background: $panel; text-style: bold; }
    InventoryTable > .inventory-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    InventoryTable > .inventory-table--cursor-blurred {
        background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    InventoryTable > .inventory-table--pending { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open"),
        Binding("j,down", "move(1)", "Down", show=False),
        Binding("k,up", "move(-1)", "Up", show=False),
        Binding("g,home", "jump(0)", "Top", show=False),
        Binding("G,end", "jump(-1)", "Bottom", show=False),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False),
        Binding("ctrl+d", "page(0.5)", "Half page down", show=False),
        Binding("ctrl+u", "page(-0.5)", "Half page up", show=False),
    ]

    class Loaded(Message):
        """A reload finished: `total` rows match the query."""

        def __init__(self, total: int) -> None:
            super().__init__()
            self.total = total

    class SortClicked(Message):
        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(self, kind: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.table_query = TableQuery(kind)
        self.total = 0
        self.cursor = 0
        self.cursor_key: str | None = None
        self.rows: dict[int, Row] = {}
        self.loading = True
        self._epoch = 0
        self._fill_asked: tuple[int, int, int] | None = None
        self._iq: InventoryQuery | None = None

    @property
    def iq(self) -> InventoryQuery:
        if self._iq is None:
            self._iq = InventoryQuery(store_of(self.app))
        return self._iq

    @property
    def visible_rows(self) -> int:
        return max(1, self.size.height - 1) if self.size.height else 40

    @property
    def top(self) -> int:
        return int(self.scroll_offset.y)

    @property
    def current(self) -> Row | None:
        return self.rows.get(self.cursor)

    # -- loading ------------------------------------------------------------------------------

    def reload(self, query: TableQuery | None = None, *, keep: bool = True) -> None:
        """Read the count and the rows on screen again (a new query, or the data changed),
        keeping the selected instance when `keep` and it is still there."""
        if query is not None:
            self.table_query = query
        self._epoch += 1
        self.loading = True
        key = self.cursor_key if keep else None
        cursor = self.cursor if keep else 0
        line = self.cursor - self.top
        self._reload(self.table_query, self._epoch, key, cursor, line, self.visible_rows)

    @work(thread=True, exclusive=True, group="reload", exit_on_error=False)
    def _reload(
        self, q: TableQuery, epoch: int, key: str | None, cursor: int, line: int, height: int
    ) -> _Loaded:
        iq = self.iq
        total = iq.count(q)
        pos = iq.position(q, key) if key is not None else None
        cursor = max(0, min(pos if pos is not None else cursor, total - 1))
        top = max(0, min(cursor - max(0, min(line, height - 1)), total - height))
        start = max(0, top - height)
        return _Loaded(epoch, total, cursor, top, start, iq.window(q, start, height * 3))

    @work(thread=True, exclusive=True, group="fill", exit_on_error=False)
    def _fill(self, q: TableQuery, epoch: int, start: int, limit: int) -> _Filled:
        return _Filled(epoch, start, self.iq.window(q, start, limit))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.node is not self:
            return
        event.stop()
        if event.state == WorkerState.ERROR:
            self.loading = False
            error = plain(event.worker.error, limit=300)
            self.notify(error, title="Cannot read the inventory", severity="error", markup=False)
            return
        result = event.worker.result
        if event.state != WorkerState.SUCCESS or getattr(result, "epoch", None) != self._epoch:
            return
        if isinstance(result, _Loaded):
            self.loading = False
            self.total = result.total
            self.rows = {result.start + i: r for i, r in enumerate(result.rows)}
            self.virtual_size = Size(self.size.width, self.total + 1)
            self.cursor = result.cursor
            self._fill_asked = None
            self.set_scroll(None, result.top)
            self._note_cursor()
            self.post_message(self.Loaded(self.total))
        elif isinstance(result, _Filled):
            top = self.top
            keep = range(top - 4 * self.visible_rows, top + 5 * self.visible_rows)
            self.rows = {p: r for p, r in self.rows.items() if p in keep}
            self.rows.update((result.start + i, r) for i, r in enumerate(result.rows))
            self._note_cursor()
        self.refresh()

    def _note_cursor(self) -> None:
        row = self.rows.get(self.cursor)
        if row is not None:
            self.cursor_key = row.key

    def _want_rows(self) -> None:
        """Read the rows on screen that are not held yet (a screen above and below too)."""
        if self.loading or not self.total:
            return
        top, height = self.top, self.visible_rows
        end = min(self.total, top + height)
        if all(p in self.rows for p in range(top, end)):
            return
        start = max(0, top - height)
        ask = (self._epoch, start, height * 3)
        if ask != self._fill_asked:
            self._fill_asked = ask
            self._fill(self.table_query, *ask)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._want_rows()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.total + 1)
        self._want_rows()

    # -- moving -------------------------------------------------------------------------------

    def move_to(self, pos: int) -> None:
        if not self.total:
            return
        pos = max(0, min(pos, self.total - 1))
        self.cursor = pos
        self.cursor_key = None
        self._note_cursor()
        height, top = self.visible_rows, self.top
        if pos < top:
            self.set_scroll(None, pos)
        elif pos >= top + height:
            self.set_scroll(None, pos - height + 1)
        self.refresh()

    def action_move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_jump(self, pos: int) -> None:
        self.move_to(pos if pos >= 0 else self.total - 1)

    def action_page(self, pages: float) -> None:
        step = max(1, int(self.visible_rows * abs(pages)))
        self.move_to(self.cursor + (step if pages > 0 else -step))

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.app.push_screen(InstanceScreen(self.table_query.kind, row.key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = 0
            for column, width in zip(SORTS, column_widths(self.size.width), strict=True):
                x += width + 1
                if offset.x < x:
                    self.post_message(self.SortClicked(column))
                    return
            return
        self.move_to(self.top + offset.y - 1)
        if event.chain >= 2:
            self.action_open()

    # -- rendering ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        widths = column_widths(width)
        if y == 0:
            style = base + self.get_component_rich_style("inventory-table--header")
            return self._strip([self._title(c) for c in SORTS], widths, style, width)
        pos = self.top + y - 1
        if pos >= self.total:
            return Strip.blank(width, base)
        row = self.rows.get(pos)
        if pos == self.cursor:
            name = (
                "inventory-table--cursor" if self.has_focus else "inventory-table--cursor-blurred"
            )
            style = base + self.get_component_rich_style(name)
        else:
            style = base
        if row is None:
            style += self.get_component_rich_style("inventory-table--pending")
            return self._strip(["…"], widths[:1], style, width)
        cells = [
            row.key,
            row.name,
            row.status,
            row.type,
            row.site,
            _when(row.updated_at, widths[5]),
        ]
        return self._strip(cells, widths, style, width)

    def _title(self, column: str) -> str:
        title = DEFINITIONS[self.table_query.kind].key_label if column == "key" else TITLES[column]
        if column == self.table_query.sort:
            title += " ▼" if self.table_query.descending else " ▲"
        return title

    @staticmethod
    def _strip(cells: list[Any], widths: list[int], style: Style, width: int) -> Strip:
        segments = [Segment(" " + fit(c, w), style) for c, w in zip(cells, widths, strict=False)]
        return Strip(segments).adjust_cell_length(width, style)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def store_of(app: App[Any]) -> Store:
    """The app's store (the console app has one; widgets are typed against any App)."""
    return cast(Store, app.store)  # type: ignore[attr-defined]


def _when(stamp: str, width: int) -> str:
    """A stored timestamp shortened to the column: date, or date and minutes."""
    return stamp[:10] if width < 16 else stamp[:16].replace("T", " ")


class SearchInput(Input):
    """The search box: esc (or enter) hands the keys back to the table."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "done", "Back to the table")]

    class Done(Message):
        pass

    def action_done(self) -> None:
        self.post_message(self.Done())


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write the export; .json writes JSON, anything else CSV."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 72; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ExportScreen Horizontal { height: auto; margin-top: 1; }
    ExportScreen Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str, what: str) -> None:
        super().__init__()
        self.default = default
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Export {self.what}"), classes="title")
            yield Static(Text("A path ending in .json writes JSON; any other, CSV."))
            yield Input(self.default, id="path")
            with Horizontal():
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        self.dismiss(Path(value).expanduser() if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class InventoryView(Vertical):
    """One definition's table with search, status filter, sorting and export."""

    DEFAULT_CSS = """
    InventoryView { height: 1fr; }
    InventoryView > #bar { dock: top; height: 3; }
    InventoryView #search { width: 1fr; }
    InventoryView #status { width: 30; }
    InventoryView #count { width: auto; min-width: 14; padding: 1 1 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "cycle_sort", "Sort"),
        Binding("O", "reverse_sort", "Reverse"),
        Binding("f", "filter", "Status filter"),
        Binding("e", "export", "Export"),
    ]

    def __init__(self, kind: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.kind = kind
        self.table = InventoryTable(kind)
        self._stale = False
        self._debounce: Timer | None = None
        self._statuses: list[tuple[str, int]] | None = None

    def compose(self) -> ComposeResult:
        # The table first, so it is the pane's first focusable widget (the bar docks on top).
        yield self.table
        with Horizontal(id="bar"):
            yield SearchInput(placeholder="Search (/)", id="search")
            yield Select[str]([], prompt="All statuses", id="status")
            yield Label("", id="count")

    def on_mount(self) -> None:
        self.table.reload()
        self._load_statuses()

    def focus_search(self) -> None:
        self.query_one(SearchInput).focus()

    # -- data changes -------------------------------------------------------------------------

    def on_data_changed(self, _: Message) -> None:
        if self.table.is_on_screen or self.is_on_screen:
            self.table.reload()
            self._load_statuses()
        else:
            self._stale = True  # read when shown: a hidden tab costs nothing during a buildup

    def on_show(self) -> None:
        if self._stale:
            self._stale = False
            self.table.reload()
            self._load_statuses()

    @work(thread=True, exclusive=True, group="statuses", exit_on_error=False)
    def _load_statuses(self) -> list[tuple[str, int]]:
        return self.table.iq.statuses(self.kind)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "statuses" and event.state == WorkerState.SUCCESS:
            statuses = event.worker.result
            if statuses != self._statuses and isinstance(statuses, list):
                self._statuses = statuses
                self._set_status_options(statuses)
        elif event.worker.group == "export" and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            if event.state == WorkerState.ERROR:
                error = plain(event.worker.error, limit=300)
                self.notify(error, title="Export failed", severity="error", markup=False)
            else:
                n, path = cast(tuple[int, str], event.worker.result)
                self.notify(f"{n:,} {self.kind} written to {plain(path)}", markup=False)

    def _set_status_options(self, statuses: list[tuple[str, int]]) -> None:
        select: Select[str] = self.query_one("#status", Select)
        if select.expanded:
            return
        current = select.value
        options = [(Text(f"{plain(s, limit=40) or '(none)'} ({n:,})"), s) for s, n in statuses]
        with select.prevent(Select.Changed):
            select.set_options(options)
            if isinstance(current, str) and any(s == current for _, s in options):
                select.value = current

    # -- the query ----------------------------------------------------------------------------

    def on_inventory_table_loaded(self, event: InventoryTable.Loaded) -> None:
        q = self.table.table_query
        filtered = q.status is not None or q.search is not None
        noun = ("match" if event.total == 1 else "matches") if filtered else self.kind
        self.query_one("#count", Label).update(Text(f"{event.total:,} {noun}"))

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

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            if self._debounce is not None:
                self._debounce.stop()
                self._search()
            self.table.focus()

    def on_search_input_done(self) -> None:
        self.table.focus()

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
        select = self.query_one("#status", Select)
        select.focus()
        select.expanded = True

    # -- export -------------------------------------------------------------------------------

    def action_export(self) -> None:
        default = f"{self.kind}-{datetime.now():%Y%m%d-%H%M%S}.csv"
        what = f"{self.table.total:,} {self.kind} (what the table shows)"
        self.app.push_screen(ExportScreen(default, what), self._export)

    def _export(self, path: Path | None) -> None:
        if path is not None:
            self._write(self.table.table_query, path)

    @work(thread=True, group="export", exit_on_error=False)
    def _write(self, q: TableQuery, path: Path) -> tuple[int, str]:
        return self.table.iq.export(q, path), str(path)
