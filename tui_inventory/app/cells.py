"""A table's cells: the columns' widths, and API text fitted to a cell as literal text.

The row on screen: docs/architecture.md §8.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len, set_cell_size

from tui_inventory.text import plain

from .narrow import narrow_widths

KEY_CAP = 40  # cells the key column may take at most (a UUID is 36)
NAME_MIN = 12  # cells the name column keeps when the key column grows
NAME_WIDE = 60  # cells the name column takes before type and site widen
WIDE_CAP = 36  # cells type and site widen to at most


def column_widths(width: int, key: int = 0) -> list[int]:
    """Cell widths of SORTS' columns in `width` cells (each cell has one space before it). The
    key column grows to `key` cells (the longest key shown), up to KEY_CAP and as long as the
    name keeps NAME_MIN: on a narrow terminal the keys tell the instances apart, not the names."""
    wide = width >= 120
    fixed = [18, 0, 14, 14, 16, 16] if wide else [14, 0, 11, 10, 10, 10]
    spare = width - sum(fixed) - len(fixed) - NAME_MIN  # what the name column can give up
    fixed[0] += max(0, min(min(key, KEY_CAP) - fixed[0], spare))
    fixed[1] = max(8, width - sum(fixed) - len(fixed))
    # On a wide terminal the name stops at NAME_WIDE: the rest widens type and site, which a
    # long value otherwise cut while the name column stood mostly empty.
    extra = fixed[1] - NAME_WIDE
    if extra > 0:
        fixed[1] = NAME_WIDE
        for column in (3, 4):
            grow = min(extra // 2 if column == 3 else extra, WIDE_CAP - fixed[column])
            fixed[column] += max(0, grow)
            extra -= max(0, grow)
        fixed[1] += extra
    return narrow_widths(width, key, fixed) or fixed


def fit(value: Any, width: int) -> str:
    """`value` as literal text in exactly `width` cells, cut with an ellipsis."""
    text = plain(value, limit=width * 2 + 1)
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width else ""
    return set_cell_size(text, width)


def fit_middle(value: Any, width: int) -> str:
    """Like `fit`, but a text too long loses its middle, not its end: keys that share a long
    prefix (`CAR-ASTRA1P-0007`, `CAR-ASTRA1P-0008`) stay apart as `CAR-AS…1P-0007`."""
    text = value if isinstance(value, str) else plain(value)
    if len(text) > 4 * width + 8:  # (a 100 kB key: only its ends can be shown)
        text = text[: 2 * width] + "…" + text[-2 * width :]
    text = plain(text)
    if cell_len(text) <= width or width < 5:
        return fit(text, width)
    tail_cells = width // 2
    head = set_cell_size(text, width - 1 - tail_cells)
    tail, cells = "", 0
    for char in reversed(text):
        size = cell_len(char)
        if cells + size > tail_cells:
            break
        tail, cells = char + tail, cells + size
    return head + "…" + " " * (tail_cells - cells) + tail
