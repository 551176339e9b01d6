"""`q` while the console runs a buildup asks first, in a real terminal: the question says what
becomes of the run; esc keeps the console running, a second `q` quits it."""

from __future__ import annotations

import pytest
from test_tmux_e2e import SESSION, Tmux, tmux  # noqa: F401  (the fixture)

# Keys typed at once are read by timing: these tests share one worker, one after another, so
# they do not compete with each other for the two cores (`--dist loadgroup`, Makefile).
pytestmark = pytest.mark.xdist_group("keys-in-tmux")


def test_q_during_a_buildup_asks_before_quitting(tmux: Tmux) -> None:  # noqa: F811
    # (the demo's first start builds up its empty store: a buildup runs at once)
    tmux.wait_for(lambda t: "Buildup running" in t, 30, "the buildup")
    tmux("send-keys", "-t", SESSION, "q")
    text = tmux.wait_for(lambda t: "Quit now?" in t or "EXITED" in t, 15, "the question")
    assert "EXITED" not in text, "q quit at once while a buildup ran"
    assert "resumes where it stopped" in text, text
    tmux("send-keys", "-t", SESSION, "Escape")
    text = tmux.wait_for(lambda t: "Quit now?" not in t, 15, "esc to close the question")
    assert "EXITED" not in text
    tmux("send-keys", "-t", SESSION, "-l", "qq")  # the question, then its answer
    tmux.wait_for(lambda t: "EXITED 0" in t, 60, "the console to quit")
