"""In a real terminal (tmux), Tabs sent in one burst (a held key, fast typing) move one tab each,
and the table of the tab they stop on has the keys. They used to skip a tab, or stop short, and
leave nothing focused (the footer showing the dashboard's keys, j and enter doing nothing): the
first Tab's "pane focused" message arrived after the second Tab had moved on, and switched the
tabs back (`tabs.ConsoleTabs`)."""

from __future__ import annotations

import pytest
from test_console_burst_tmux import active_tab
from test_tmux_e2e import SESSION, Tmux, no_sync_running, tmux  # noqa: F401  (the fixture)

# Keys typed at once are read by timing: these tests share one worker, one after another, so
# they do not compete with each other for the two cores (`--dist loadgroup`, Makefile).
pytestmark = pytest.mark.xdist_group("keys-in-tmux")

TABS = ["Dashboard", "Services", "Carriers", "Resources", "Changes"]


def table_keys(text: str) -> bool:
    """A table's keys are in the footer: at 60 columns the footer keeps some of them only (⏎ Open
    on the Changes feed, f Filter on an inventory); the dashboard has neither."""
    return "⏎ Open" in text or "f Filter" in text


@pytest.mark.parametrize("tmux", [(80, 24), (60, 20)], indirect=True)
def test_a_burst_of_tabs_moves_one_tab_each_and_the_table_has_the_keys(tmux: Tmux) -> None:  # noqa: F811
    tmux.wait_for(lambda t: "Dashboard" in t and "Sync log" in t, 30, "the dashboard")
    tmux.wait_for(lambda t: "600 stored" in t and no_sync_running(t), 60, "the buildup's end")
    tmux("send-keys", "-t", SESSION, "Tab")
    tmux.wait_for(lambda t: active_tab(t) == "Services" and table_keys(t), 15, "the services")
    at = 1
    for tabs in (3, 3, 2, 2, 2):
        at = (at + tabs) % len(TABS)
        tmux("send-keys", "-t", SESSION, *["Tab"] * tabs)  # (one write: the Tabs at once)

        def there(text: str) -> bool:
            keys = text.rstrip("\n").splitlines()[-1]  # the footer: the focused table's keys
            return active_tab(text) == TABS[at] and table_keys(keys)  # noqa: B023

        tmux.wait_for(there, 15, f"{tabs} Tabs to reach {TABS[at]}, its table with the keys")
