"""`q` while this console runs a sync asks first: quitting stops the run after its current page
(as `c` does). A buildup resumes where it stopped at the next start; an update's work is caught up
by the next update. A second `q` (or `y`, or the Quit button) quits; esc, `n` or Stay stays (not "Cancel": `c`
cancels the sync everywhere else). The dialog closes when the run ends: its question is moot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType

from .confirm import ConfirmDialog

RUN_WATCH = 0.25  # seconds between looks at whether the run still goes on

WHAT_HAPPENS = {
    "buildup": "The buildup stops after its current page and resumes where it stopped at the next "
    "start of the console (or of `tui-inventory sync`).",
    "update": "The update stops after its current page, without its cleanup; the next update "
    "catches up.",
}


class QuitDialog(ConfirmDialog):
    """Quit while a sync runs? Dismisses with "quit", or None to stay."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,y", "answer('quit')", "Quit", tooltip="quit now"),
        Binding("n", "dismiss_none", "Stay", show=False),
    ]

    def __init__(
        self,
        title: str,
        question: str,
        answers: list[tuple[str, str, str]],
        running: Callable[[], bool],
    ) -> None:
        super().__init__(title, question, answers)
        self.running = running

    def on_mount(self) -> None:
        self.set_interval(RUN_WATCH, self._watch_run)

    def _watch_run(self) -> None:
        if not self.running() and self.is_current:  # the run ended: the question is moot
            self.dismiss(None)

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)


def quit_dialog(mode: str | None, running: Callable[[], bool]) -> QuitDialog:
    """The question for a running sync of `mode` (buildup, update; auto: the scheduled one)."""
    what = "buildup" if mode == "buildup" else "update"
    question = (
        f"A {what} is running. Quit now?\n\n{WHAT_HAPPENS[what]}\n\n"
        "q or y: quit · esc or n: keep the console running"
    )
    answers = [("quit", "Quit now", "error"), ("stay", "Stay", "default")]
    return QuitDialog(f"Quit while a {what} runs?", question, answers, running)
