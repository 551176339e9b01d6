"""The held-back cleanup's dialog: the instances it would remove, scrollable and searchable, then
the decision (remove, keep, decide later) — what `tui-inventory cleanup KIND` lists.

The list is read in a thread worker, at most `LIST_LIMIT` rows at a time (a search narrows it);
every cell is API data, shown as literal text.
"""

from __future__ import annotations

from typing import Any, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Static
from textual.worker import Worker, WorkerState

from tui_inventory.store.cleanup import Candidate, candidates, count_candidates
from tui_inventory.store.repo import HeldRecord, Store
from tui_inventory.text import percent, plain

from .changes import FeedTable
from .confirm import ConfirmDialog
from .footer import ConsoleFooter
from .textkeys import focus_now

LIST_LIMIT = 1000
KEY_WIDTH, STATUS_WIDTH, TYPE_WIDTH = 24, 16, 14  # at most; the Name takes what is left


class CleanupDialog(ConfirmDialog):
    """A `ConfirmDialog` with the list of what the held cleanup `held` would remove."""

    DEFAULT_CSS = """
    CleanupDialog > Vertical { width: 100; height: 90%; }
    CleanupDialog #cleanup-list { height: 1fr; min-height: 4; }
    CleanupDialog #cleanup-count { height: 1; color: $text-muted; }
    CleanupDialog .question { margin-bottom: 0; }
    """

    BINDINGS = [Binding("slash", "search", "Search", key_display="/")]

    def __init__(self, held: HeldRecord, title: str, question: str, answers: Any) -> None:
        super().__init__(title, question, answers)
        self.held = held
        self.listed: list[Candidate] = []
        self._total = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text), classes="title")
            yield Static(Text(self.question), classes="question")
            yield Input(placeholder="search the list (key or name)", id="cleanup-search")
            # The feed's table: less's keys (j/k/g/G, pages) scroll the list too.
            yield FeedTable(cursor_type="row", zebra_stripes=True, id="cleanup-list")
            yield Static("", id="cleanup-count")
            with Horizontal():
                for answer, label, variant in self.answers:
                    yield Button(label, id=answer, variant=variant, compact=True)  # type: ignore[arg-type]
        yield ConsoleFooter(compact=True)  # (see ConfirmDialog.compose)

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#cleanup-list", DataTable)
        for title in ("Key", "Name", "Status", "Type"):
            table.add_column(title, key=title)
        self._load("")

    def action_search(self) -> None:
        """`/`, as on every table: to the list's own search box."""
        focus_now(self.query_one("#cleanup-search", Input))  # the keys after `/` land there

    def on_resize(self) -> None:
        if self.listed:
            self._show(self.listed, self._total)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._load(event.value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#cleanup-list", DataTable).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="cleanup-list")
    def _load(self, search: str) -> tuple[list[Candidate], int]:
        store = cast(Store, self.app.store)  # type: ignore[attr-defined]
        found = list(candidates(store, self.held, search=search or None, limit=LIST_LIMIT))
        total = count_candidates(store, self.held, search or None)
        return found, total

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = plain(event.worker.error, limit=300)
            self.notify(error, title="Cannot list the cleanup", severity="error", markup=False)
        elif event.state == WorkerState.SUCCESS and isinstance(event.worker.result, tuple):
            self._show(*event.worker.result)

    def _show(self, found: list[Candidate], total: int) -> None:
        self.listed, self._total = found, total
        table = self.query_one("#cleanup-list", DataTable)
        table.clear()
        # Every column shows: why each would go (its Status) matters more than a whole name, so
        # the Name is cut with … to the width left (each column has a cell's padding, 2).
        key = min(KEY_WIDTH, max((len(plain(c.key)) for c in found), default=3))
        status = min(STATUS_WIDTH, max((len(plain(c.status)) for c in found), default=6))
        kind = min(TYPE_WIDTH, max((len(plain(c.type)) for c in found), default=4))
        width = table.scrollable_content_region.width or self.size.width
        name = max(8, width - key - status - kind - 4 * 2 - 1)
        for c in found:
            cells = (
                plain(c.key, limit=key),
                plain(c.name, limit=name),
                plain(c.status, limit=status),
                plain(c.type, limit=kind),
            )
            table.add_row(*(Text(x) for x in cells), key=c.key)
        shown = f"{len(found)} of {total}" if len(found) < total else f"{total}"
        self.query_one("#cleanup-count", Static).update(Text(f"{shown} listed"))


def cleanup_dialog(held: HeldRecord) -> CleanupDialog:
    """The question for a held-back cleanup: answers `remove`, `keep` or `later`."""
    kind = held.kind
    share = held.would_remove / held.total if held.total else 1.0
    question = (
        f"The {held.scope} of {kind} would remove {held.would_remove} of the {held.total} "
        f"stored {kind} ({percent(share)}), more than sync.max_delete_fraction allows, so it was "
        "held back. They are listed below.\n\nRemove them now, or keep them and discard this cleanup?"
    )
    return CleanupDialog(
        held,
        f"Held-back cleanup of {kind}",
        question,
        [
            ("remove", f"Remove {held.would_remove}", "error"),
            ("keep", "Keep them", "primary"),
            ("later", "Decide later", "default"),
        ],
    )
