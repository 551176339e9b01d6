"""In a real terminal (tmux), a whole string sent at once after `/` lands in the search box: the
letters never run the console's keys (`/qatar` used to quit it)."""

from __future__ import annotations

import re

import pytest
from test_tmux_e2e import SESSION, Tmux, tmux  # noqa: F401  (the fixture)

# Keys typed at once are read by timing: these tests share one worker, one after another, so
# they do not compete with each other for the two cores (`--dist loadgroup`, Makefile).
pytestmark = pytest.mark.xdist_group("keys-in-tmux")


def test_a_string_sent_at_once_after_slash_is_a_search(tmux: Tmux) -> None:  # noqa: F811
    tmux.wait_for(lambda t: "Dashboard" in t and "Sync log" in t, 30, "the dashboard")
    tmux("send-keys", "-t", SESSION, "-l", "/qatar")
    text = tmux.wait_for(lambda t: "qatar" in t or "EXITED" in t, 15, "the search box")
    assert "EXITED" not in text, text
    tmux("send-keys", "-t", SESSION, "Escape")  # (alone: esc and keys at once are alt+keys)
    tmux.wait_for(
        lambda t: "Back to the table" not in t and "⏎ Open" in t, 15, "the table to have the keys"
    )
    tmux("send-keys", "-t", SESSION, "-l", "/ubs")
    text = tmux.wait_for(lambda t: "ubs" in t and "qatar" not in t, 15, "the second search")
    assert "TMF638 — services" not in text, "s opened the Settings"
    assert "EXITED" not in text


def test_a_string_after_slash_is_text_on_every_screen_with_a_text_field(tmux: Tmux) -> None:  # noqa: F811
    """The instance view (`/` finds text in it), the help (the same), the Changes tab (its since
    box): the letters after `/` never run a key, whether tmux hands them over in one read or the
    string is typed on just after `/`."""
    tmux.wait_for(lambda t: "Dashboard" in t and "Sync log" in t, 30, "the dashboard")
    tmux("send-keys", "-t", SESSION, "Tab")
    tmux.wait_for(lambda t: "⏎ Open" in t, 15, "the services table")
    tmux.wait_for(lambda t: "BWS-" in t or "SVC-" in t, 60, "rows in it")
    tmux("send-keys", "-t", SESSION, "Enter")
    tmux.wait_for(lambda t: "General" in t and "r Reload" in t, 15, "the instance view")

    def burst(*parts: str) -> str:
        for part in parts:  # (one part: one whole string; several: typed on at once)
            tmux("send-keys", "-t", SESSION, "-l", part)
        return tmux.wait_for(lambda t: typed(t) or "EXITED" in t, 15, "the text typed")

    def typed(text: str) -> bool:
        """The letters after `/` are in the find box. (Known defect, issue 11: under load a
        letter dispatched before the box had the focus reaches it after the next ones — `bus`
        for `ubs` about once in twenty here — so the order is not asserted; none runs a key.)"""
        found = re.search(r"Find: (\S+)", text)
        return "ubs" in text or (found is not None and sorted(found[1]) == sorted("ubs"))

    for parts in [("/ubs",)] * 5 + [("/", "ubs")] * 3:
        text = burst(*parts)
        assert typed(text), f"the instance view lost the text to find:\n{text}"
        assert "Settings" not in text.splitlines()[0] + text.splitlines()[1], text
        tmux("send-keys", "-t", SESSION, "Escape")
        tmux.wait_for(lambda t: "r Reload" in t and "Find:" not in t, 15, "the find to close")
    assert "A sync is already running" not in tmux.screen()

    tmux("send-keys", "-t", SESSION, "?")
    tmux.wait_for(lambda t: "Keys (esc closes this help)" in t, 15, "the help")
    text = burst("/ubs")
    assert typed(text) and "EXITED" not in text, text
    tmux("send-keys", "-t", SESSION, "Escape")
    tmux.wait_for(lambda t: "Find:" not in t, 15, "the find to close")
    tmux("send-keys", "-t", SESSION, "Escape")
    tmux.wait_for(lambda t: "Keys (esc" not in t and "r Reload" in t, 15, "the instance view")
    tmux("send-keys", "-t", SESSION, "Escape")
    tmux.wait_for(lambda t: "⏎ Open" in t, 15, "the table again")
    tmux("send-keys", "-t", SESSION, "BTab")  # shift+tab: the dashboard; once more: Changes
    tmux.wait_for(lambda t: "Sync log" in t, 15, "the dashboard")
    tmux("send-keys", "-t", SESSION, "BTab")
    tmux.wait_for(lambda t: "Since" in t or "since" in t, 15, "the Changes tab")
    for parts in (("/ubs",), ("/", "ubs")):
        text = burst(*parts)
        assert "EXITED" not in text and "TMF638 — services" not in text, text
        tmux("send-keys", "-t", SESSION, "C-u")  # (the box: empty it)
        tmux("send-keys", "-t", SESSION, "Escape")
        tmux.wait_for(lambda t: "ubs" not in t, 15, "the box emptied")


@pytest.mark.parametrize("tmux", [(60, 20)], indirect=True)
def test_esc_and_tab_typed_at_once_leave_the_box_for_the_next_inventory(tmux: Tmux) -> None:  # noqa: F811
    """At 60×20, esc then tab in one write (`ESC TAB`, which Textual read as shift+tab): out of
    the search box, on to the *next* inventory, whose table has the keys."""
    tmux.wait_for(lambda t: "Dashboard" in t and "http:…" in t, 30, "the dashboard at 60×20")
    tmux("send-keys", "-t", SESSION, "Tab")
    tmux.wait_for(lambda t: "⏎ Open" in t, 15, "the services table")
    for shown in ("Carriers", "Resources"):
        tmux("send-keys", "-t", SESSION, "-l", "/bw")
        tmux.wait_for(lambda t: "esc Back to the table" in t, 15, "the search box")
        tmux("send-keys", "-t", SESSION, "Escape", "Tab")  # (one write: ESC TAB)
        text = tmux.wait_for(lambda t: "⏎ Open" in t, 15, "a table to have the keys")
        assert active_tab(text) == shown, text
    tmux("send-keys", "-t", SESSION, "Tab")
    text = tmux.wait_for(lambda t: active_tab(t) == "Changes", 15, "tab to the Changes")
    tmux("send-keys", "-t", SESSION, "-l", "t2h")
    tmux.wait_for(lambda t: "2h" in t, 15, "the since box")
    tmux("send-keys", "-t", SESSION, "Escape", "Tab")
    # (the dashboard's keys: the since box has given them back)
    tmux.wait_for(lambda t: active_tab(t) == "Dashboard" and "b Buildup" in t, 15, "the dashboard")


def active_tab(text: str) -> str:
    """The tab shown, told by what only it shows (its count, the feed's since box, the log)."""
    for name, mark in MARKS.items():
        if re.search(mark, text):
            return name
    return "none"


MARKS = {
    "Services": r"\d+ services",
    "Carriers": r"\d+ carriers",
    "Resources": r"\d+ resources",
    "Changes": r"since|\d+ revisions|latest \d+",
    "Dashboard": r"\d+ stored",
}
