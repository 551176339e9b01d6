"""The keys that move a cursor through rows as in less, shared by every table of the console (the
inventory tables and the Changes feed) and listed by the help from this one place.

A widget that takes them implements `action_move(delta)`, `action_jump(pos)` (-1: the last row)
and `action_page(pages)` (a fraction: half a page).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

ROW_KEYS: list[BindingType] = [
    Binding("j,down", "move(1)", "Down", show=False),
    Binding("k,up", "move(-1)", "Up", show=False),
    Binding("g,home", "jump(0)", "First row", show=False),
    Binding("G,end", "jump(-1)", "Last row", show=False),
    Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False),
    Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False),
    Binding("ctrl+d", "page(0.5)", "Half page down", show=False),
    Binding("ctrl+u", "page(-0.5)", "Half page up", show=False),
]
