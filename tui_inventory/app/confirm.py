"""A modal question with a few answers (the held-back cleanup's dialog, `cleanup`, is one)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from .footer import ConsoleFooter


class ConfirmDialog(ModalScreen[str | None]):
    """Asks `question`; dismisses with the id of the chosen answer, or None on escape."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmDialog .question { height: auto; margin-bottom: 1; }
    ConfirmDialog .title { text-style: bold; height: 1; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 1; }
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Back")]

    def __init__(self, title: str, question: str, answers: list[tuple[str, str, str]]) -> None:
        """`answers` are (id, label, button variant); the question is shown as literal text."""
        super().__init__()
        self.title_text = title
        self.question = question
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text), classes="title")
            yield Static(Text(self.question), classes="question")
            with Horizontal():
                for answer, label, variant in self.answers:
                    yield Button(label, id=answer, variant=variant, compact=True)  # type: ignore[arg-type]
        # Its own footer: the screen's under it showed through, its keys dead while this is up.
        yield ConsoleFooter(compact=True)

    def on_mount(self) -> None:
        # The safest answer (the last) has the focus, so a stray enter never deletes anything.
        self.query(Button).last().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
