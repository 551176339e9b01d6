"""A screen that reads like a page (the instance view, the help, what upstream sent) is read as in
less: `j`/`k` a line, `g`/`G` the ends, ctrl+f/ctrl+b a page, ctrl+d/ctrl+u half a page, and `/`
finds text in it (enter or esc ends typing; `n`/`N` go to the next and the previous match).

`/` opens a text field here as it does on the tables, and gives it the focus at once (`focus_now`):
whatever is typed after it, however fast (a paste, keys that a terminal delivers one by one), is
the text to find, never the console's keys (`/ubs` on the instance view used to open Settings).
The keys typed before the field had the focus reach the app's bindings, which hand them to the
focused text field (`textkeys.TextSafeApp`).

Every occurrence of the text is marked in reverse video (legible without colour, NO_COLOR), the
current one also bold and underlined; the screen's title (`#title`) is searched too. After enter
or esc the bar stays, read-only, with the count (`2/4`) that `n`/`N` move on.

`j` typed five times in one read moves five lines: each move starts from where the previous one
went, not from where the screen was last drawn (`immediate`).

A screen takes these by using `PageScroll` for its scrolling body and yielding a `FindBar`. A table
read as a list (the verify report) finds text in its rows the same way (`Findable`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar, NamedTuple, Protocol, cast

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Static

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


MARK = Style(reverse=True)
CURRENT = Style(reverse=True, bold=True, underline=True)


class Match(NamedTuple):
    widget: Widget
    y: int  # the line in the widget's content
    start: int  # characters in that line's text
    end: int


def occurrences(needle: str, text: str) -> list[tuple[int, int]]:
    """Where `needle` is in `text`, any case: (start, end) of each, without overlaps."""
    if not needle:
        return []
    return [m.span() for m in re.finditer(re.escape(needle), text, re.IGNORECASE)]


def marked(strip: Strip, spans: list[tuple[int, int, Style]]) -> Strip:
    """`strip` with the character spans given drawn in their style (on top of its own)."""
    text = strip.text
    cells = [(cell_len(text[:a]), cell_len(text[:b]), style) for a, b, style in spans]
    cuts = sorted({c for a, b, _ in cells for c in (a, b)} | {strip.cell_length})
    pieces: list[Strip] = []
    x = 0
    for piece in strip.divide(cuts):
        style = next((st for a, b, st in cells if a <= x < b), None)
        if style is not None:
            piece = Strip(
                [Segment(t, (st or Style()) + style, c) for t, st, c in piece], piece.cell_length
            )
        pieces.append(piece)
        x += piece.cell_length
    return Strip.join(pieces)


class _Marker:
    """Stands in for a widget's `render_line`: its lines as drawn, with the matches marked."""

    def __init__(self, page: PageScroll, widget: Widget) -> None:
        self.page = page
        self.widget = widget
        self.original: Callable[[int], Strip] = widget.render_line

    def __call__(self, y: int) -> Strip:
        strip = self.original(y)
        page = self.page
        if not page.query_text:
            return strip
        found = occurrences(page.query_text, strip.text)
        if not found:
            return strip
        current = page.matches[page.current] if page.current >= 0 else None
        spans = [
            (a, b, CURRENT if current == Match(self.widget, y, a, b) else MARK) for a, b in found
        ]
        return marked(strip, spans)


class PageScroll(VerticalScroll):
    """A scrolling body read as in less, with `/` to find text in it (see the module)."""

    BINDINGS: ClassVar[list[BindingType]] = PAGE_KEYS

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self.query_text = ""
        self.matches: list[Match] = []  # every occurrence, from the title down
        self.current = -1
        self._marked: list[Widget] = []

    # -- moving -------------------------------------------------------------------------------

    def action_line(self, delta: int) -> None:
        self.scroll_relative(y=delta, animate=False, immediate=True)

    def action_edge(self, end: int) -> None:
        if end:
            self.scroll_end(animate=False)
        else:
            self.scroll_home(animate=False)

    def action_page(self, pages: float) -> None:
        step = max(1, int(self.scrollable_content_region.height * abs(pages)))
        self.scroll_relative(y=step if pages > 0 else -step, animate=False, immediate=True)

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
        self.matches = self._matches_of(text) if text else []
        self.current = 0 if self.matches else -1
        self._show_current()
        return self.current + 1, len(self.matches)

    def _show_current(self) -> None:
        for widget in self._marked:
            widget.refresh()
        if self.current >= 0:
            match = self.matches[self.current]
            if match.widget in self.children:
                top = match.widget.virtual_region.y + match.widget.styles.gutter.top
                self.scroll_to(y=max(0, top + match.y - 1), animate=False, immediate=True)
            else:  # the title
                self.scroll_home(animate=False, immediate=True)
            self.bar.show_count(self.current + 1, len(self.matches))

    def _findable(self) -> list[Widget]:
        title = list(self.screen.query("#title").results(Widget))
        return title + [child for child in self.children if child.display]

    def _matches_of(self, text: str) -> list[Match]:
        found: list[Match] = []
        for widget in self._findable():
            marker = widget.render_line
            if not isinstance(marker, _Marker):
                marker = _Marker(self, widget)
                setattr(widget, "render_line", marker)  # noqa: B010 (this widget's only)
                self._marked.append(widget)
            for y in range(widget.content_size.height):
                line = marker.original(y).text
                found.extend(Match(widget, y, a, b) for a, b in occurrences(text, line))
        return found


class FindBar(Horizontal):
    """The text to find on a `PageScroll`, under it while it is typed."""

    DEFAULT_CSS = """
    FindBar { height: 1; display: none; background: $panel; }
    FindBar.-open, FindBar.-kept { display: block; }
    FindBar > Static { width: auto; padding: 0 1; }
    FindBar > Input { width: 1fr; }
    FindBar.-kept > Input { display: none; }
    FindBar > #find-query { display: none; }
    FindBar.-kept > #find-query { display: block; }
    FindBar > #find-count { color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.page: Widget | None = None  # (a Findable)

    def compose(self) -> ComposeResult:
        yield Static("Find:")
        yield FindInput(placeholder="text on this page; enter or esc: done", compact=True)
        yield Static("", id="find-query")
        yield Static("", id="find-count")

    @property
    def field(self) -> FindInput:
        return self.query_one(FindInput)

    def open(self, page: Widget) -> None:
        self.page = page
        self.remove_class("-kept")
        self.add_class("-open")
        field = self.field
        field.value = ""
        self.query_one("#find-count", Static).update("")
        focus_now(field)  # the keys that follow `/` in the same read find it here

    def close(self) -> None:
        self.remove_class("-open")
        page = self.page
        if page is not None:
            if isinstance(page, PageScroll) and page.matches:  # kept, with the count n/N move on
                self.query_one("#find-query", Static).update(Text(f"“{page.query_text}”"))
                self.add_class("-kept")
                self.show_count(page.current + 1, len(page.matches))
            focus_now(page)

    def show_count(self, which: int, total: int) -> None:
        kept = " · n/N: next/previous" if self.has_class("-kept") else ""
        self.query_one("#find-count", Static).update(f"{which}/{total}{kept}")

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
