"""The export dialog: where to write what a table shows.

It says where a relative name goes, asks before replacing a file that is there, writes in a worker
and stays open on a failure with the reason beside the path as typed, so the operator mends the
path instead of starting over. The file is written by `files.write_text` (through `InventoryQuery
.export`): atomically, through a symlink, never replacing a device or a FIFO.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from tui_inventory.errors import InventoryError
from tui_inventory.text import plain

from .confirm import BUTTON_KEYS, ConfirmDialog, to_button
from .footer import ConsoleFooter

__all__ = ["ExportScreen", "Exported"]

Exported = tuple[int, str]  # how many rows, and the path as typed


class ExportScreen(ModalScreen[Exported | None]):
    """Asks where to write the export (.json writes JSON, .jsonl JSON lines, anything else CSV) and writes it with
    `write`; dismisses with what was written, or None when cancelled."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 72; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ExportScreen #where { color: $text-muted; }
    ExportScreen #problem { color: $error; height: auto; }
    ExportScreen Horizontal { height: auto; margin-top: 1; }
    ExportScreen Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel"), *BUTTON_KEYS]

    def __init__(self, default: str, what: str, write: Callable[[Path], int]) -> None:
        super().__init__()
        self.default = default
        self.what = what
        self.write = write
        self._writing = False
        self._target = ""  # the path as typed, of the write under way

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Export {self.what}"), classes="title")
            yield Static(
                Text("A path ending in .json writes JSON, .jsonl JSON lines; any other, CSV.")
            )
            yield Static(
                Text(f"A relative name is written in {plain(str(Path.cwd()))}"), id="where"
            )
            yield Input(self.default, id="path")
            yield Static("", id="problem")
            with Horizontal():
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")
        yield ConsoleFooter(compact=True)  # its own keys, not the table's under it

    def action_button(self, delta: int) -> None:
        to_button(self, delta)

    def on_input_submitted(self) -> None:
        self._submit()

    def on_input_changed(self) -> None:
        self._say("")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._submit()
        else:
            self.dismiss(None)

    def _say(self, problem: str) -> None:
        self.query_one("#problem", Static).update(Text(problem))

    def _submit(self) -> None:
        if self._writing:
            return
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.dismiss(None)
            return
        path = Path(value).expanduser()
        if path.exists() and not path.is_dir():
            question = (
                f"{plain(value)} already exists. Replace it with the {plain(self.what)}?"
                if path.is_file()
                else f"{plain(value)} is not a regular file (a device or a FIFO): write into it?"
            )
            answers = [("replace", "Replace", "warning"), ("keep", "Keep it", "primary")]
            self.app.push_screen(
                ConfirmDialog("The file exists", question, answers),
                lambda answer: self._start(path) if answer == "replace" else self._back(),
            )
            return
        self._start(path)

    def _back(self) -> None:
        self.query_one("#path", Input).focus()

    def _start(self, path: Path) -> None:
        self._writing = True
        self._target = self.query_one("#path", Input).value.strip()
        self.query_one("#export", Button).disabled = True
        self._say(f"Writing {plain(str(path))}…")
        self._write(path)

    @work(thread=True, group="export", exit_on_error=False)
    def _write(self, path: Path) -> int:
        return self.write(path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "export" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        self._writing = False
        self.query_one("#export", Button).disabled = False
        if event.state == WorkerState.SUCCESS:
            n = event.worker.result
            assert isinstance(n, int)
            self.dismiss((n, self._target))
            return
        error = event.worker.error
        message = error.message if isinstance(error, InventoryError) else str(error)
        self._say(plain(f"Not written: {message}", limit=300))
        self.query_one("#path", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
