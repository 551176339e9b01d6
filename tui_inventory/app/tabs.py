"""The main screen's tabs, whose shown pane follows the focus as it is *now*.

Textual's `TabbedContent` shows the pane of a widget given the focus, told by a message that
arrives later: when keys came fast (esc then tab: the search box hands the keys back to its
table, and tab goes on to the next inventory), the message of the first focus arrived after the
second and switched back to the pane just left, its widget without the focus. Here a pane is
shown for a focus only while that focus is still in it.
"""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane


class ConsoleTabs(TabbedContent):
    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors_with_self:
            # The focus has moved on since: that pane is no longer where it is. (Textual calls
            # the handler of each class in turn; this keeps TabbedContent's from running.)
            event.stop()
            event.prevent_default()
