"""In a real terminal (tmux), a whole string sent at once after `/` lands in the search box: the
letters never run the console's keys (`/qatar` used to quit it)."""

from __future__ import annotations

from test_tmux_e2e import SESSION, Tmux, tmux  # noqa: F401  (the fixture)


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
