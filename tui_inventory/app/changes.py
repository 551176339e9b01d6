"""The Changes feed: the latest revisions across the three inventories, newest first.

What the last update created, changed and removed, filterable by inventory and by kind of change;
enter opens the instance (removed ones too: their history stays). Read in a thread worker, re-read
when the store changes while the feed is on screen. Every cell is API data, shown as literal text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, cast

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.widgets.data_table import RowKey
from textual.worker import Worker, WorkerState

from tui_inventory.errors import InventoryError
from tui_inventory.store.changes import ChangeWindow, parse_time, read_changes
from tui_inventory.store.repo import RevisionRecord, Store
from tui_inventory.text import plain
from tui_inventory.tmf.definitions import DEFINITIONS

from .cells import fit, fit_middle
from .filters import FilterSelect
from .instance import InstanceScreen, moment
from .keys import ROW_KEYS
from .textkeys import focus_now

FEED_LIMIT = 300  # revisions listed
KEY_CAP = 40  # cells a key may take (a UUID is 36); longer ones lose their middle
NAME_MIN, NAME_CAP = 12, 60  # cells a name takes at least and at most (then cut with …)
FIXED_CELLS = 19 + 9 + 7 + 2 * 5 + 2  # when, inventory, change, their padding, and a margin
CHANGES = ("created", "changed", "removed")


def summary(rev: RevisionRecord) -> str:
    """What a revision changed, in one line: the changed fields' names."""
    if rev.change != "changed":
        return ""
    names = sorted(rev.changes)
    text = ", ".join(plain(n, limit=40) for n in names[:6])
    return text + (f", … {len(names) - 6} more" if len(names) > 6 else "")


class FeedTable(DataTable[Text]):
    """The feed's rows: the keys of the inventory tables (less's, and enter to open), not
    DataTable's own (its home and end scroll sideways)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", tooltip="open the selected instance"),
        *ROW_KEYS,
    ]

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Textual's DataTable widens its columns to new rows here, but keeps the lines it drew
        # before at the old widths (cached under the same update count): without this the feed
        # could stay cut to its headers' widths ("2026  Services  create  SVC").
        super()._update_dimensions(new_rows)
        self._clear_caches()

    @property
    def visible_rows(self) -> int:
        header = self.header_height if self.show_header else 0
        return max(1, self.scrollable_content_region.height - header)

    def action_move(self, delta: int) -> None:
        self.move_cursor(row=max(0, self.cursor_row + delta))

    def action_jump(self, pos: int) -> None:
        self.move_cursor(row=pos if pos >= 0 else max(0, self.row_count - 1))

    def action_page(self, pages: float) -> None:
        step = max(1, int(self.visible_rows * abs(pages)))
        self.action_move(step if pages > 0 else -step)


class TimeValue(Validator):
    """A since/until value: ISO 8601 or a time ago, as `tui-inventory changes` takes it."""

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_time(value.strip())
        except InventoryError as exc:
            return self.failure(exc.message)
        return self.success()


class WindowInput(Input):
    """A since/until box: enter applies what it holds, esc puts back the value it had when it
    got the focus (what was typed is dropped, as esc does elsewhere); both give the keys back to
    the feed (see `ChangesView.on_input_submitted`). Marked red while what it holds is not a time
    (checked when it is applied, not at every key typed: 2026-1 is on its way to a date)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "restore", "Back to the feed", show=False),
    ]

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("validators", [TimeValue()])
        kw.setdefault("validate_on", ["submitted", "blur"])
        super().__init__(valid_empty=True, **kw)
        self.before = ""  # the value when the box got the focus

    def on_focus(self) -> None:
        self.before = self.value
        view = self._view()
        if view is not None:
            view.show_problem_whole(True)

    def on_blur(self) -> None:
        view = self._view()
        if view is not None:
            view.show_problem_whole(False)

    def _view(self) -> ChangesView | None:
        return next((a for a in self.ancestors if isinstance(a, ChangesView)), None)

    async def action_submit(self) -> None:
        await super().action_submit()
        self._back_to_feed()

    def action_restore(self) -> None:
        self.value = self.before
        self._back_to_feed()

    def _back_to_feed(self) -> None:
        # The keys go back to the feed at once: a tab typed right after goes on to the next tab.
        view = self._view()
        if view is not None:
            focus_now(view.feed)


class ChangesView(Vertical):
    """The latest revisions across all three inventories, newest first."""

    DEFAULT_CSS = """
    ChangesView { height: 1fr; }
    ChangesView > #changes-bar { dock: top; height: 3; }
    /* Fits one line at 80 columns ("All inventories", "latest 300" whole) and
       shrinks at 60, a label cut with … rather than wrapped under its box. */
    ChangesView #changes-kind { width: 2fr; min-width: 12; max-width: 21; }
    ChangesView #changes-change { width: 2fr; min-width: 12; max-width: 17; }
    ChangesView #changes-bar SelectCurrent { padding: 0 1; }
    ChangesView #changes-bar SelectCurrent Static#label { text-wrap: nowrap; text-overflow: ellipsis; }
    ChangesView #changes-since, ChangesView #changes-until {
        width: 1fr; min-width: 10; max-width: 14; padding: 0 1;
    }
    ChangesView #changes-count { width: auto; padding: 1 1 0 1; color: $text-muted; }
    ChangesView #changes-problem {
        height: 1; display: none; padding: 0 1; color: $warning;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    ChangesView #changes-problem.-whole { height: auto; text-wrap: wrap; }
    ChangesView #changes-problem.-shown { display: block; }
    ChangesView > DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filter('changes-kind')", "Inventory filter", tooltip="one inventory only"),
        Binding(
            "F",
            "filter('changes-change')",
            "Change filter",
            tooltip="one kind of change only: created, changed or removed",
        ),
        # (tab changes tabs: without these the time window was out of the keyboard's reach)
        Binding("t", "window('changes-since')", "Since", tooltip="from when: 2h, 3d or ISO 8601"),
        Binding("T", "window('changes-until')", "Until", tooltip="until when", show=False),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.revisions: dict[str, RevisionRecord] = {}
        self._stale = False
        self._times: tuple[str | None, str | None] = (None, None)  # the last valid since, until

    def compose(self) -> ComposeResult:
        # Under the bar while a since/until value is not a time (not focusable: the feed stays
        # the pane's first focusable widget).
        yield Static("", id="changes-problem")
        table = FeedTable(cursor_type="row", zebra_stripes=True, id="feed")
        yield table  # first, so it is the pane's first focusable widget (the bar docks on top)
        with Horizontal(id="changes-bar"):
            kinds = [(Text(d.title), name) for name, d in DEFINITIONS.items()]
            yield FilterSelect(kinds, prompt="All inventories", id="changes-kind", home=self._feed)
            changes = [(Text(c), c) for c in CHANGES]
            yield FilterSelect(changes, prompt="All changes", id="changes-change", home=self._feed)
            # The window of `tui-inventory changes`: ISO 8601 or a time ago (2h, 3d).
            yield WindowInput(placeholder="since", id="changes-since")
            yield WindowInput(placeholder="until", id="changes-until")
            yield Label("", id="changes-count")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title in ("When (UTC)", "Inventory", "Change", "Key", "Name", "What changed"):
            table.add_column(title, key=title)
        self.reload()

    def _cut(self, revisions: list[RevisionRecord]) -> tuple[int, int]:
        """The cells the key and the name get: the longest key (up to KEY_CAP), then the name
        what is left of the feed's width (at least NAME_MIN), cut with … beyond."""
        keys = max((cell_len(plain(r.key, limit=KEY_CAP + 1)) for r in revisions), default=4)
        key = min(KEY_CAP, max(4, keys))
        width = self.feed.scrollable_content_region.width or self.app.size.width
        return key, max(NAME_MIN, min(NAME_CAP, width - FIXED_CELLS - key))

    def on_resize(self) -> None:
        if self.revisions:
            self._show(list(self.revisions.values()))

    def _feed(self) -> FeedTable:
        return self.feed

    @property
    def feed(self) -> FeedTable:
        return self.query_one("#feed", FeedTable)

    def reload(self) -> None:
        """Read the feed again. A bad since/until value is marked on its box (red: `TimeValue`;
        its reason in the tooltip) and the feed stays as it was. Meanwhile the feed keeps
        following new revisions in the window applied before, and one line under the bar says
        so, and how to mend the box (cut with … at 60 columns; whole while a time box has the
        focus). No toast repeats it over the feed."""
        kind = self.query_one("#changes-kind", Select).value
        change = self.query_one("#changes-change", Select).value
        times: list[str | None] = []
        errors: list[str] = []
        for id_ in ("changes-since", "changes-until"):
            box = self.query_one(f"#{id_}", Input)
            error = None
            try:
                times.append(parse_time(text) if (text := box.value.strip()) else None)
            except InventoryError as exc:
                error = exc.message
                errors.append(error)
            box.tooltip = Text(error) if error is not None else None
        self._say_kept(errors)
        if not errors:
            self._times = (times[0], times[1])
        self._load(
            ChangeWindow(
                *self._times,
                kind if isinstance(kind, str) else None,
                change if isinstance(change, str) else None,
            )
        )

    def _say_kept(self, errors: list[str]) -> None:
        problem = self.query_one("#changes-problem", Static)
        problem.set_class(bool(errors), "-shown")
        if errors:
            # What is wrong and how to mend it first: at 60 columns the line is cut (with …).
            what, _, why = errors[0].partition(": ")
            problem.update(
                Text(
                    f"⚠ {what}: t (since) or T (until) to mend or empty the box; the feed still "
                    f"follows new revisions, from the time window before. {why}".rstrip()
                )
            )

    def show_problem_whole(self, whole: bool) -> None:
        """The problem line on one line (cut with …), or whole while a time box has the focus."""
        self.query_one("#changes-problem", Static).set_class(whole, "-whole")

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self, window: ChangeWindow) -> list[RevisionRecord]:
        store = cast(Store, self.app.store)  # type: ignore[attr-defined]
        return list(read_changes(store, window, newest_first=True, limit=FEED_LIMIT))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = plain(event.worker.error, limit=300)
            self.notify(error, title="Cannot read the changes", severity="error", markup=False)
        elif event.state == WorkerState.SUCCESS and isinstance(event.worker.result, list):
            self._show(event.worker.result)

    def _show(self, revisions: list[RevisionRecord]) -> None:
        """Show `revisions`, keeping the selection: on the newest when it was there (what came
        in since is then what is seen), else on the revision selected, on the same line."""
        table = self.feed
        selected, line = None, 0
        if table.row_count and table.cursor_row > 0:
            selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            line = max(0, min(table.cursor_row - round(table.scroll_y), table.visible_rows - 1))
        table.clear()
        for column in table.columns.values():  # (clear keeps the widths of the rows before)
            column.content_width = column.label.cell_len
        self.revisions = {str(r.id): r for r in revisions}
        key_cells, name_cells = self._cut(revisions)
        for rev in revisions:
            title = DEFINITIONS[rev.kind].title if rev.kind in DEFINITIONS else rev.kind
            key, name = fit_middle(rev.key, key_cells).rstrip(), fit(rev.name, name_cells).rstrip()
            cells = (moment(rev.at, label=False), title, rev.change, key, name, summary(rev))
            table.add_row(*(Text(c) for c in cells), key=str(rev.id))
        if selected in self.revisions:
            row = table.get_row_index(selected)
            table.move_cursor(row=row, scroll=False)
            # (once the new rows are measured: until then the table cannot scroll that far)
            table.call_after_refresh(table.scroll_to, y=max(0, row - line), animate=False)
        shown = len(revisions)
        note = f"latest {shown}" if shown >= FEED_LIMIT else f"{shown} revisions"
        self.query_one("#changes-count", Label).update(Text(note))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        rev = self.revisions.get(str(event.row_key.value))
        if rev is not None:
            self.app.push_screen(InstanceScreen(rev.kind, rev.key))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.reload()  # (the keys went back to the feed: WindowInput.action_submit)

    def action_window(self, id_: str) -> None:
        focus_now(self.query_one(f"#{id_}", Input))

    def focus_search(self) -> None:
        """`/` here: the feed has no search, so the since box takes what is typed after it (at
        once: however fast it comes, none of it runs as a key)."""
        self.action_window("changes-since")

    def action_filter(self, id_: str) -> None:
        self.query_one(f"#{id_}", FilterSelect).open()

    def on_data_changed(self, _: Message) -> None:
        if self.is_on_screen or self.feed.is_on_screen:
            self.reload()
        else:
            self._stale = True

    def on_show(self) -> None:
        if self._stale:
            self._stale = False
            self.reload()
