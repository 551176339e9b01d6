"""The inventory table widget: a Line API view of one table query that holds only the rows near
the screen.

It reads through `InventoryQuery` on its own reader thread (`Reader`), in async workers: a reload
(a new query, or the store changed) reads the count and the screen's rows and keeps the selected
instance; scrolling reads the rows that come into view. So a million instances open as fast as a
hundred. A broad search shows its first rows before its count (`counting`), which follows. Every
cell is API data: it is shown through `plain` as literal text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from tui_inventory.store.query import InventoryQuery
from tui_inventory.store.table_query import SORTS, Row, TableQuery
from tui_inventory.text import plain
from tui_inventory.tmf.definitions import DEFINITIONS

from .cells import KEY_CAP, column_widths, fit, fit_middle
from .instance import InstanceScreen
from .keys import ROW_KEYS
from .reader import Reader, store_of

TITLES = {
    "name": "Name",
    "status": "Status",
    "type": "Type",
    "site": "Site",
    "updated_at": "Updated",
}


@dataclass(frozen=True)
class _Loaded:
    """What a reload read: the count, where the cursor and the screen go, and rows there."""

    epoch: int
    total: int
    cursor: int
    top: int
    start: int
    rows: list[Row]
    counting: bool = False  # `total` is only the rows read: the count is still to be read


@dataclass(frozen=True)
class _Counted:
    epoch: int
    total: int


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
    /* NO_COLOR: the cursor's grey read as a second header line (bold on grey): reversed. */
    InventoryTable:nocolor > .inventory-table--cursor,
    InventoryTable:nocolor > .inventory-table--cursor-blurred {
        background: $surface; color: $foreground; text-style: reverse;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", tooltip="open the selected instance"),
        *ROW_KEYS,
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
        self.pending = True  # no read of the current query has finished yet
        # (not Textual's `loading`: that would hide the table and take its focus at each read)
        self.counting = False  # its first rows are shown, its count is being read
        self._jump_end = False  # `G` was pressed while counting: go to the end once counted
        self._counter: Worker[_Counted] | None = None
        self._epoch = 0
        self._fill_asked: tuple[int, int, int] | None = None
        self._iq: InventoryQuery | None = None
        self._reader: Reader | None = None
        self._reading = False  # a reload is under way
        self._again = False  # the store changed during it: reload when it is done
        # The cells of the longest key held, for the key column: it only grows while the query
        # stays the same (scrolling never makes the columns jump back and forth).
        self._key_cells = 0
        self._key_query: TableQuery | None = None

    @property
    def iq(self) -> InventoryQuery:
        if self._iq is None:
            self._iq = InventoryQuery(store_of(self.app))
        return self._iq

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = Reader(store_of(self.app))
        return self._reader

    def on_unmount(self) -> None:
        if self._reader is not None:
            self._reader.close()

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
        """Read the count and the rows on screen again for `query` (or the same query),
        keeping the selected instance when `keep` and it is still there."""
        if query is not None:
            self.table_query = query
        if self._reading and (query is not None or self.counting):
            self.reader.interrupt()  # the earlier query (or count), still running, is not wanted
        if self._counter is not None:
            self._counter.cancel()
            self._counter = None
        self._again = self.counting = self._jump_end = False
        self._epoch += 1
        self.pending = self._reading = True
        key = self.cursor_key if keep else None
        cursor = self.cursor if keep else 0
        line = self.cursor - self.top
        self._reload(self.table_query, self._epoch, key, cursor, line, self.visible_rows)

    def data_changed(self) -> None:
        """The store changed: read again, once the read under way (if any) has shown its rows,
        so that refreshes during a buildup never overlap nor starve each other."""
        if self._reading:
            self._again = True
        else:
            self.reload()

    @work(exclusive=True, group="reload", exit_on_error=False)
    async def _reload(
        self, q: TableQuery, epoch: int, key: str | None, cursor: int, line: int, height: int
    ) -> _Loaded:
        return await self.reader.run(self._read, q, epoch, key, cursor, line, height)

    def _read(
        self, q: TableQuery, epoch: int, key: str | None, cursor: int, line: int, height: int
    ) -> _Loaded:
        """(On the reader thread.) The count, where the cursor and the screen go, the rows; for
        a broad search from its top, its first rows only (the count follows, see `_count`)."""
        iq = self.iq
        from_top = key is None and cursor == 0
        known = iq.quick_count(q) if from_top else iq.count(q)
        if known is None:
            rows = iq.window(q, 0, height * 3)
            known = iq.quick_count(q)  # known when the rows ran out
            counting = known is None
            return _Loaded(epoch, len(rows) if known is None else known, 0, 0, 0, rows, counting)
        total = known
        pos = iq.position(q, key) if key is not None else None
        cursor = max(0, min(pos if pos is not None else cursor, total - 1))
        top = max(0, min(cursor - max(0, min(line, height - 1)), total - height))
        start = max(0, top - height)
        return _Loaded(epoch, total, cursor, top, start, iq.window(q, start, height * 3))

    @work(exclusive=True, group="count", exit_on_error=False)
    async def _count(self, q: TableQuery, epoch: int) -> _Counted:
        return _Counted(epoch, await self.reader.run(self.iq.count, q))

    @work(exclusive=True, group="fill", exit_on_error=False)
    async def _fill(self, q: TableQuery, epoch: int, start: int, limit: int) -> _Filled:
        rows = await self.reader.run(self.iq.window, q, start, limit)
        return _Filled(epoch, start, rows)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.node is not self:
            return
        event.stop()
        if event.state == WorkerState.ERROR:
            # (a replaced reload, or a count whose query was left, ends cancelled instead)
            if event.worker.group == "reload" or event.worker is self._counter:
                self.pending = self._reading = self.counting = False
            if not Reader.interrupted(event.worker.error):  # a newer query cut it short
                error = plain(event.worker.error, limit=300)
                self.notify(
                    error, title="Cannot read the inventory", severity="error", markup=False
                )
            return
        result = event.worker.result
        if event.state != WorkerState.SUCCESS or getattr(result, "epoch", None) != self._epoch:
            return
        if isinstance(result, _Loaded):
            self.pending = False
            self.counting = result.counting
            if result.counting:
                self._counter = self._count(self.table_query, self._epoch)
            else:
                self._done_reading()
            self.total = result.total
            self.rows = {result.start + i: r for i, r in enumerate(result.rows)}
            if self._key_query != self.table_query:
                self._key_query, self._key_cells = self.table_query, 0
            self._measure_keys(result.rows)
            self.virtual_size = Size(self.size.width, self.total + 1)
            self.cursor = result.cursor
            self._fill_asked = None
            self.scroll_to(y=result.top, animate=False, force=True)
            self._note_cursor()
            self.post_message(self.Loaded(self.total))
        elif isinstance(result, _Counted):
            self._counter = None
            self.counting = False
            self._done_reading()
            self.total = result.total
            self.virtual_size = Size(self.size.width, self.total + 1)
            if self._jump_end:
                self._jump_end = False
                self.action_jump(-1)
            self._want_rows()
            self.post_message(self.Loaded(self.total))
        elif isinstance(result, _Filled):
            top = self.top
            keep = range(top - 4 * self.visible_rows, top + 5 * self.visible_rows)
            self.rows = {p: r for p, r in self.rows.items() if p in keep}
            self.rows.update((result.start + i, r) for i, r in enumerate(result.rows))
            self._measure_keys(result.rows)
            self._note_cursor()
        self.refresh()

    def _done_reading(self) -> None:
        self._reading = False
        if self._again:
            self.call_later(self.reload)

    def _measure_keys(self, rows: list[Row]) -> None:
        longest = max((cell_len(plain(r.key, limit=KEY_CAP + 1)) for r in rows), default=0)
        self._key_cells = max(self._key_cells, longest)

    def widths(self) -> list[int]:
        """The columns' widths now: see `column_widths`."""
        return column_widths(self.scrollable_content_region.width, self._key_cells)

    def _note_cursor(self) -> None:
        row = self.rows.get(self.cursor)
        if row is not None:
            self.cursor_key = row.key

    def _want_rows(self) -> None:
        """Read the rows on screen that are not held yet (a screen above and below too)."""
        if self.pending or not self.total:
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
            self.scroll_to(y=pos, animate=False, force=True)
        elif pos >= top + height:
            self.scroll_to(y=pos - height + 1, animate=False, force=True)
        self.refresh()

    def action_move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_jump(self, pos: int) -> None:
        if pos < 0 and self.counting:
            self._jump_end = True  # the end is not known yet
            return
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
            widths = self.widths()
            for column, width in zip(SORTS, widths, strict=True):
                x += width + 1 if width else 0  # (a column of width 0 is not shown)
                if offset.x < x:
                    self.post_message(self.SortClicked(column))
                    return
            return
        self.move_to(self.top + offset.y - 1)
        if event.chain >= 2:
            self.action_open()

    # -- rendering ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        widths = self.widths()
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
        cut = [fit_middle, *[fit] * (len(cells) - 1)]  # a key keeps its end, a name its start
        segments = [
            Segment(" " + f(c, w), style)
            for f, c, w in zip(cut, cells, widths, strict=False)
            if w  # (a column of width 0 is not shown: narrow.py)
        ]
        return Strip(segments).adjust_cell_length(width, style)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _when(stamp: str, width: int) -> str:
    """A stored timestamp shortened to the column: date, or date and minutes."""
    return stamp[:10] if width < 16 else stamp[:16].replace("T", " ")
