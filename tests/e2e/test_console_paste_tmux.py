"""In a real terminal (tmux), a bracketed paste is text: an ESC in it (a line copied from a
coloured log) never turns the rest into keys. It used to: `x<ESC>[0mq` pasted on a table quit the
console, `?` opened the help, `b` started a buildup; in a search box `abc<ESC>def` showed `^defabc`
and a tab in the paste jumped to the next tab."""

from __future__ import annotations

import re

import pytest
from test_console_burst_tmux import active_tab
from test_tmux_e2e import SESSION, Tmux, tmux  # noqa: F401  (the fixture)

# Keys typed at once are read by timing: these tests share one worker, one after another, so
# they do not compete with each other for the two cores (`--dist loadgroup`, Makefile).
pytestmark = pytest.mark.xdist_group("keys-in-tmux")


def paste(tmux: Tmux, text: str) -> None:  # noqa: F811
    """`text` pasted as a terminal pastes it (bracketed: the console asked for that)."""
    tmux("set-buffer", "-b", "pasted", text)
    tmux("paste-buffer", "-p", "-d", "-b", "pasted", "-t", SESSION)


def search_box(text: str) -> str:
    """What the search box shows (on the line of the status filter, `All statuses ▼`)."""
    line = next((ln for ln in text.splitlines() if "All statuses" in ln), "▊ (no search box)")
    return line.split("▎")[0].strip("▊ ")


def test_a_paste_with_escapes_is_text_never_keys(tmux: Tmux) -> None:  # noqa: F811
    tmux.wait_for(lambda t: "Dashboard" in t and "Sync log" in t, 30, "the dashboard")
    tmux.wait_for(lambda t: re.search(r"600 stored", t), 60, "the buildup's end")
    tmux("send-keys", "-t", SESSION, "Tab")
    tmux.wait_for(lambda t: "⏎ Open" in t and re.search("BWS-|SVC-", t), 30, "the services table")

    # On the table (no text field): nothing of the paste runs as a key.
    for pasted in ("x\x1b[0mq", "x\x1b[0m?", "abc\x1b[0mb", "\x1bq"):
        paste(tmux, pasted)
        tmux("send-keys", "-t", SESSION, "-l", "j")  # (a key after it: the paste was read)
        text = tmux.wait_for(lambda t: "EXITED" in t or "⏎ Open" in t, 15, "the table")
        assert "EXITED" not in text, f"a paste of {pasted!r} quit the console:\n{text}"
        assert "Keys (esc closes this help)" not in text, f"{pasted!r} opened the help"
        assert "Buildup running" not in text, f"{pasted!r} started a buildup"
        assert active_tab(text) == "Services", text

    # In the search box: the text, in its order, without the escapes; a tab in it is a space.
    tmux("send-keys", "-t", SESSION, "/")
    tmux.wait_for(lambda t: "esc Back to the table" in t, 15, "the search box")
    paste(tmux, "abc\x1bdef")
    text = tmux.wait_for(lambda t: "abc" in t or "def" in t, 15, "the pasted text")
    assert search_box(text) == "abcdef", text
    tmux("send-keys", "-t", SESSION, "C-u")
    tmux.wait_for(lambda t: "abcdef" not in t, 15, "the box emptied")
    paste(tmux, "Be\x1b[31mt\tz")
    text = tmux.wait_for(lambda t: "Bet z" in t or "Changes" not in t, 15, "the pasted text")
    assert search_box(text) == "Bet z", text
    # (still the services' search box, with the keys: the tab in the paste was no Tab key)
    assert re.search(r"of 600\b|\b600 services", text) and "esc Back to the table" in text, text


def test_keys_typed_right_after_ctrl_u_or_esc_are_not_lost(tmux: Tmux) -> None:  # noqa: F811
    """ctrl+u then a word, sent one right after the other (the word was lost now and then: the
    letters went in first, then ctrl+u emptied the box); esc then j in one write (`ESC j`, read as
    alt+j, which did nothing): out of the box, one row down."""
    tmux.wait_for(lambda t: "Dashboard" in t and "Sync log" in t, 30, "the dashboard")
    tmux.wait_for(lambda t: re.search(r"600 stored", t), 60, "the buildup's end")
    tmux("send-keys", "-t", SESSION, "Tab")
    tmux.wait_for(lambda t: "⏎ Open" in t and re.search("BWS-", t), 30, "the services table")
    tmux("send-keys", "-t", SESSION, "/")
    tmux.wait_for(lambda t: "esc Back to the table" in t, 15, "the search box")
    for n in range(1, 13):
        tmux("send-keys", "-t", SESSION, "C-u")
        tmux("send-keys", "-t", SESSION, "-l", f"BWS-00000{n}")
        text = tmux.wait_for(lambda t: f"BWS-00000{n} " in search_box(t) + " ", 15, "the word")  # noqa: B023
    assert search_box(text) == "BWS-0000012"
    tmux("send-keys", "-t", SESSION, "C-u")
    tmux("send-keys", "-t", SESSION, "-l", "BWS-0000")  # BWS-000000, BWS-000001 first
    tmux.wait_for(lambda t: re.search(r"\d+ of 600", t), 15, "the search's rows")
    tmux("send-keys", "-t", SESSION, "Escape", "j", "Enter")  # (one write: ESC j CR)
    text = tmux.wait_for(lambda t: "r Reload" in t or "EXITED" in t, 15, "the instance view")
    assert "BWS-000001" in text.splitlines()[0] + text.splitlines()[1], text
