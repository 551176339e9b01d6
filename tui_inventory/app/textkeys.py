"""Keys typed into a text field stay there, however fast they come.

A terminal read can hold many keys (fast typing over SSH, a paste): Textual posts them all at once,
each to the widget that has the focus *when it is posted*. So after `/` (or `s`, `e`…) the letters
that follow were already on their way to the table when the search box (or the dialog's field)
got the focus, bubbled up to the app, and ran the app's bindings there: `/qatar` quit.

The mechanism, for every screen: a printable key (or a paste) that reaches the app's bindings while
a text field has the focus was typed before the focus landed there, so it is handed to that field
instead (a field consumes every printable key it receives, so none of its own gets here). While
a newly opened screen has not yet given the focus to anything, such keys wait until it has. And
keys that move the focus into a text field do it at once (`focus_now`), not after the keys already
queued (`Widget.focus` defers it).

`/` opens a text field wherever there is something to search: the tables' search, the Changes
feed's since box, and a find box on the screens that read like a page (`pager`: the instance view,
the help), and the verify report's. Where it still opens nothing (a dialog), the printable keys and
pastes that follow it are dropped, meant for the search the typist expected, until a key that is
not text (esc, enter, an arrow) or a pause of `QUIET` seconds without keys: `/qatar` there must
not quit, `/ubs` not open the Settings. This is timed by when the keys reach the bindings, not by
when the terminal's parser made them: a terminal (tmux, SSH) may hand the keys of one string over
in several reads, the first answered before the next arrives.

Esc typed right before tab reaches the terminal's parser as one sequence, `ESC TAB`, which Textual
reads as shift+tab (the Linux console's; xterm, tmux and the others send `ESC [ Z`): leaving the
search with esc and tab typed fast went to the *previous* tab. Outside the Linux console it is
read as the two keys it is (`split_esc_tab`). So is esc typed right before a letter (`ESC j`, which
Textual read as alt+j, and no key of the console is): leaving a box with esc and typing `j` at
once moves in the table (`TerminalParser`).

A bracketed paste is text, never keys (`TerminalParser`): Textual's parser ends the text of a
paste at an ESC inside it and turns the rest into keys, so `x<ESC>[0mq` (a line copied from a
coloured log) quit, and a tab in a paste was the Tab key.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import Any, cast

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.app import App
from textual.drivers import linux_driver
from textual.keys import Keys
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, TextArea

TEXT_FIELDS = (Input, TextArea)
OPENS_TEXT = "slash"  # the key that opens a text field (a search) wherever there is one
HOLD_LIMIT = 200  # refreshes to wait for a new screen to settle its focus before giving up
# A text field's own key that has not run after this many seconds (the field was closed before
# its turn came) no longer holds the keys that follow it.
FIELD_KEY_LIMIT = 2.0
QUIET = 0.5  # seconds without a key that end the dropping of text after a `/` that opened nothing


def split_esc_tab(environ: Mapping[str, str]) -> None:
    """Read `ESC TAB` as esc then tab, except on the Linux console (TERM=linux): there it is
    shift+tab. (Textual's table of sequences is global: the console sets it once, as it starts.)"""
    if environ.get("TERM", "") != "linux":
        sequences = cast(dict[str, Any], ANSI_SEQUENCES_KEYS)  # (a dict typed as a Mapping)
        sequences["\x1b\x09"] = (Keys.Escape, Keys.Tab)


# In a paste: the escape sequences a coloured text holds (CSI: colours, cursor; OSC: titles,
# links), which a terminal shows as nothing; then the control characters left. A tab is a space.
PASTED_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
PASTED_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# After ESC, the characters that begin a longer sequence (CSI, SS3, OSC, DCS, APC, PM, ST).
SEQUENCE_STARTS = frozenset("[O]P_^\\")


def pasted_text(text: str) -> str:
    """A paste's text as a text field takes it: no escape sequence, no control character but the
    line ends (a one-line field keeps the first line), a tab a space."""
    text = PASTED_ESCAPES.sub("", text).replace("\t", " ")
    return PASTED_CONTROLS.sub("", text)


class TerminalParser(XTermParser):
    """Textual's parser of the terminal's bytes (8.2.8), corrected on two points.

    A bracketed paste: Textual reads its text up to an ESC in it, then everything up to the next
    ESC as keys (the ESC shown as `^`), and sends the keys before the paste's text: `abc<ESC>def`
    typed `^def` then `abc`; `x<ESC>[0mq` on a table quit. Here the paste's text is read whole up
    to its end marker, cleaned (`pasted_text`) and only then handed to Textual's parser, which
    makes one Paste of it.

    ESC then a printable character, with no meaning of its own in Textual's table: Textual waits
    for more and sends alt+key; here it is esc, then the key (no binding of the console uses alt).
    The iTerm word moves (`ESC b`, `ESC f`) and the macOS option characters keep their meaning.
    """

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._pasting = False
        self._pasted = ""  # the text of the paste being read, so far
        self._tail = ""  # the end of what was read outside a paste (a start marker may be split)

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # (the end of the input)
            return super().feed(data)
        return self._feed(data)

    def _feed(self, data: str) -> Iterator[Message]:
        while data:
            if self._pasting:
                text = self._pasted + data
                end = text.find(BRACKETED_PASTE_END)
                if end < 0:
                    self._pasted = text
                    return
                self._pasting, self._pasted = False, ""
                yield from super().feed(pasted_text(text[:end]) + BRACKETED_PASTE_END)
                data = text[end + len(BRACKETED_PASTE_END) :]
                continue
            seen = self._tail + data
            start = seen.find(BRACKETED_PASTE_START)
            if start < 0:
                self._tail = seen[-(len(BRACKETED_PASTE_START) - 1) :]
                yield from super().feed(data)
                return
            cut = start + len(BRACKETED_PASTE_START) - len(self._tail)
            yield from super().feed(data[:cut])  # (Textual's parser: a paste begins)
            self._pasting, self._tail = True, ""
            data = data[cut:]

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if (
            len(sequence) == 2
            and sequence[0] == "\x1b"
            and " " <= sequence[1] <= "~"
            and sequence[1] not in SEQUENCE_STARTS
            and sequence not in ANSI_SEQUENCES_KEYS
        ):
            yield events.Key(Keys.Escape.value, "\x1b")
            yield from super()._sequence_to_key_events(sequence[1])
            return
        yield from super()._sequence_to_key_events(sequence, alt)


def read_terminal_with(environ: Mapping[str, str]) -> None:
    """The console's corrections to Textual's reading of the terminal (set once, as it starts)."""
    split_esc_tab(environ)
    # (the class of parser the driver makes as it starts reading)
    linux_driver.XTermParser = TerminalParser  # type: ignore[attr-defined]


def is_text_field(widget: Widget | None) -> bool:
    return isinstance(widget, TEXT_FIELDS)


def focus_now(widget: Widget) -> None:
    """Give `widget` the focus now, so the keys that follow in the same read find it there."""
    widget.screen.set_focus(widget)


class TextSafeApp(App[int]):
    """An app whose bindings never run a key meant for a text field."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        read_terminal_with(os.environ)
        self._early: deque[events.Key | events.Paste] = deque()
        self._waits = 0
        self._dropping_since: float | None = None  # the last text dropped after a lone `/`
        # The keys from the terminal held while a text field's own key (`_field_key`) is run.
        self._behind: deque[events.Key | events.Paste] = deque()
        self._field_key: int | None = None  # the number of the one on its way, if one is
        self._field_keys = 0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            if self._field_key is not None:
                self._behind.append(event)  # (after the field's key: the order is kept)
                return
            if isinstance(event, events.Key) and await self._to_field_in_turn(event):
                return
        if isinstance(event, events.Key | events.Paste) and event.is_forwarded:
            if self._early or self._settling():
                self._early.append(event)  # (after any held before it: the order is kept)
                if len(self._early) == 1:
                    self._waits = 0
                    self.call_after_refresh(self._release)
                return
            await self._deliver(event)
            return
        await super().on_event(event)

    async def _deliver(self, event: events.Key | events.Paste) -> None:
        """Run a key that reached the app's bindings, unless it belongs to a text field."""
        if self._to_text_field(event):
            return
        if self._dropped(event):
            event.stop()  # typed right after a `/` that opened nothing: meant as text
            return
        await super().on_event(event)
        opened = is_text_field(self.focused)
        if isinstance(event, events.Key) and event.key == OPENS_TEXT and not opened:
            self._dropping_since = time.monotonic()

    def _dropped(self, event: events.Key | events.Paste) -> bool:
        """Text that follows a `/` that opened nothing, without a pause or another key between."""
        if self._dropping_since is None:
            return False
        now = time.monotonic()
        text = isinstance(event, events.Paste) or event.is_printable
        if text and now - self._dropping_since < QUIET:
            self._dropping_since = now
            return True
        self._dropping_since = None
        return False

    def _settling(self) -> bool:
        """A screen just opened has not yet given the focus to its first widget."""
        screen = self.screen
        return self.focused is None and not screen.is_mounted

    def _to_text_field(self, event: events.Key | events.Paste) -> bool:
        """Hand a key meant for the focused text field to it; False if it is not one."""
        field = self.focused
        if not is_text_field(field) or field is None:
            return False
        if isinstance(event, events.Key):
            if not event.is_printable:
                return False
            field.post_message(events.Key(event.key, event.character))
        else:
            field.post_message(events.Paste(event.text))
        event.stop()
        return True

    async def _to_field_in_turn(self, event: events.Key) -> bool:
        """Run a text field's own key (ctrl+u, backspace, an arrow, enter, esc…) in its turn.

        Textual runs a widget's binding only once the key has bubbled up to the app, through
        every container between (a dozen message queues here), while the letters typed after it
        are put in the field at once: `ctrl+u` then `gw` typed fast left an empty box (the
        letters went in, then ctrl+u emptied the box), and letters typed right after esc went
        into the box esc was leaving. Here the binding runs in the field's own queue, after the
        keys sent to it before, and the keys that follow wait for it, then go where the focus
        is then."""
        field = self.focused
        if field is None or not is_text_field(field) or event.is_printable:
            return False
        if not any(not b.priority for b in field._bindings.key_to_bindings.get(event.key, ())):
            return False
        if event.key == "escape" and self.screen.maximized is not None:
            return False  # (Textual's: esc first restores a maximized widget)
        if await self._check_bindings(event.key, priority=True):
            return True
        self._field_keys += 1
        number = self._field_keys
        if not field.call_later(self._run_field_key, field, event, number):
            return False  # (the field is closing)
        self._field_key = number
        self.set_timer(FIELD_KEY_LIMIT, partial(self._field_key_done, number, event, True))
        return True

    async def _run_field_key(self, field: Widget, event: events.Key, number: int) -> None:
        handled = False
        try:
            if self.focused is field:
                for binding in field._bindings.key_to_bindings.get(event.key, ()):
                    if not binding.priority and await self.run_action(binding.action, field):
                        handled = True
                        break
        finally:
            self.call_later(self._field_key_done, number, event, handled)

    async def _field_key_done(self, number: int, event: events.Key, handled: bool) -> None:
        if self._field_key != number:
            return  # (done already: the timer's call after the field's, or the reverse)
        self._field_key = None
        if not handled:  # the focus moved, or the field's binding did nothing: Textual's way
            await super().on_event(event)
        while self._behind and self._field_key is None:
            await self.on_event(self._behind.popleft())

    async def _release(self) -> None:
        if self._settling() and self._waits < HOLD_LIMIT:
            self._waits += 1
            self.call_after_refresh(self._release)
            return
        while self._early:
            await self._deliver(self._early.popleft())
