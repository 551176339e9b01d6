"""A screen that reads like a page (the instance view, the help, what upstream sent) is read as in
less: `j`/`k` a line, `g`/`G` the ends, ctrl+f/ctrl+b a page, ctrl+d/ctrl+u half a page, and `/`
finds text in it (enter or esc ends typing; `n`/`N` go to the next and the previous match).

`/` opens a text field here as it does on the tables, and gives it the focus at once (`focus_now`):
whatever is typed after it, however fast (a paste, keys that a terminal delivers one by one), is
the text to find, never the console's keys (`/ubs` on the instance view used to open Settings).
The keys typed before the field had the focus reach the app's bindings, which hand them to the
focused text field (`textkeys.TextSafeApp`).

A screen takes these by using `PageScroll` for its scrolling body and yielding a `FindBar`. A table
read as a list (the verify report) finds text in its rows the same way (`Findable`).
"""

from __future__ import annotations

from typing import ClassVar, Protocol, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from .textkeys import focus_now

PAGE_KEYS: list[BindingType] = [
    Binding("j", "line(1)", "Down a line", show=False),
    Binding("k", "line(-1)", "Up a line", show=False),
    Binding("g", "edge(0)", "Top", show=False),
    Binding("G", "edge(1)", "Bottom", show=False),
    Binding("ctrl+f", "page(1)", "Page down", show=False),
    Binding("ctrl+b", "page(-1)", "Page up", show=False),
    Binding("ctrl+d", "page(0.5)", "Half page down", show=False),
    Binding("ctrl+u", "page(-0.5)", "Half page up", show=False),
    Binding("slash", "find", "Find", tooltip="find text on this page (enter or esc: done)"),
    Binding("n", "find_next(1)", "Next match", show=False),
    Binding("N", "find_next(-1)", "Previous match", show=False),
]


class Findable(Protocol):
    """What a `FindBar` finds text in: a page (`PageScroll`), the rows of a table."""

    def find(self, text: str) -> tuple[int, int]:
        """Go to the first match of `text` (any case); (which, how many)."""
        ...


class PageScroll(VerticalScroll):
    """A scrolling body read as in less, with `/` to find text in it (see the module)."""

    BINDINGS: ClassVar[list[BindingType]] = PAGE_KEYS

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self.query_text = ""
        self.matches: list[int] = []  # the lines (in the body's virtual space) that match
        self.current = -1

    # -- moving -------------------------------------------------------------------------------

    def action_line(self, delta: int) -> None:
        self.scroll_relative(y=delta, animate=False)

    def action_edge(self, end: int) -> None:
        if end:
            self.scroll_end(animate=False)
        else:
            self.scroll_home(animate=False)

    def action_page(self, pages: float) -> None:
        step = max(1, int(self.scrollable_content_region.height * abs(pages)))
        self.scroll_relative(y=step if pages > 0 else -step, animate=False)

    # -- finding ------------------------------------------------------------------------------

    @property
    def bar(self) -> FindBar:
        return self.screen.query_one(FindBar)

    def action_find(self) -> None:
        self.bar.open(self)

    def action_find_next(self, step: int) -> None:
        if not self.query_text:
            self.notify("Type / and the text to find first.", timeout=3)
            return
        if not self.matches:
            self.notify(f"“{self.query_text}” is not on this page.", timeout=3, markup=False)
            return
        self.current = (self.current + step) % len(self.matches)
        self._show_current()

    def find(self, text: str) -> tuple[int, int]:
        """Go to the first match of `text` (any case) from the top; (which, how many)."""
        self.query_text = text
        self.matches = self._lines_with(text.casefold()) if text else []
        self.current = 0 if self.matches else -1
        self._show_current()
        return self.current + 1, len(self.matches)

    def _show_current(self) -> None:
        if self.current >= 0:
            self.scroll_to(y=max(0, self.matches[self.current] - 1), animate=False)
            self.bar.show_count(self.current + 1, len(self.matches))

    def _lines_with(self, needle: str) -> list[int]:
        found: list[int] = []
        for child in self.children:
            if not child.display:
                continue
            top = child.virtual_region.y
            if isinstance(child, OptionList):
                for index in range(child.option_count):
                    prompt = child.get_option_at_index(index).prompt
                    text = prompt.plain if isinstance(prompt, Text) else str(prompt)
                    if needle in text.casefold():
                        found.append(top + min(index, max(0, child.size.height - 1)))
            elif isinstance(child, Static):
                width, height = child.size
                for y, strip in enumerate(child.render_lines(Region(0, 0, width, height))):
                    if needle in strip.text.casefold():
                        found.append(top + y)
        return found


class FindBar(Horizontal):
    """The text to find on a `PageScroll`, under it while it is typed."""

    DEFAULT_CSS = """
    FindBar { height: 1; display: none; background: $panel; }
    FindBar.-open { display: block; }
    FindBar > Static { width: auto; padding: 0 1; }
    FindBar > Input { width: 1fr; }
    FindBar > #find-count { color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.page: Widget | None = None  # (a Findable)

    def compose(self) -> ComposeResult:
        yield Static("Find:")
        yield FindInput(placeholder="text on this page; enter or esc: done", compact=True)
        yield Static("", id="find-count")

    @property
    def field(self) -> FindInput:
        return self.query_one(FindInput)

    def open(self, page: Widget) -> None:
        self.page = page
        self.add_class("-open")
        field = self.field
        field.value = ""
        self.query_one("#find-count", Static).update("")
        focus_now(field)  # the keys that follow `/` in the same read find it here

    def close(self) -> None:
        self.remove_class("-open")
        if self.page is not None:
            focus_now(self.page)

    def show_count(self, which: int, total: int) -> None:
        self.query_one("#find-count", Static).update(f"{which}/{total}")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.page is None:
            return
        which, total = cast(Findable, self.page).find(event.value)
        count = self.query_one("#find-count", Static)
        if not event.value:
            count.update("")
        elif not total:
            count.update("not found")
        else:
            count.update(f"{which}/{total}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # (closed already: FindInput.action_submit)


class FindInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "done", "Done", tooltip="stop typing the text to find"),
    ]

    async def action_submit(self) -> None:
        await super().action_submit()
        self.action_done()  # at once: the keys typed right after are keys again

    def action_done(self) -> None:
        bar = self.parent
        if isinstance(bar, FindBar):
            bar.close()
