"""A modal question with a few answers (the held-back cleanup's dialog, `cleanup`, is one)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from .footer import ConsoleFooter

# A dialog's buttons, in a row: left and right move between them as shift+tab and tab do (a text
# box or a list with the focus keeps these keys for its own cursor).
BUTTON_KEYS: list[BindingType] = [
    Binding("left", "button(-1)", show=False),
    Binding("right", "button(1)", show=False),
]


def to_button(screen: Screen[Any], delta: int) -> None:
    """The focus to the next (`delta` 1) or previous (-1) button of `screen`, round the row."""
    if delta > 0:
        screen.focus_next(Button)
    else:
        screen.focus_previous(Button)


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

    BINDINGS = [Binding("escape", "dismiss_none", "Back"), *BUTTON_KEYS]

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

    def action_button(self, delta: int) -> None:
        to_button(self, delta)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
