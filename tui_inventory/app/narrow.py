"""The inventory tables' columns on a narrow terminal (60 columns): the key, the name and the
time of the last update stay; status and type narrow; the site goes first, then the type, rather
than the name shrinking to nothing and the Updated column falling off the right edge.

The key stays whole (it is what an operator reads out, searches and copies: `CAR-AS…1P-0008`
told nothing); the name is cut instead. Only when even the name's NAME_MIN cells would be lost
is the key cut (in its middle), to no fewer than KEY_NARROW cells.

A column of width 0 is not shown (its title neither); it still sorts (`o`)."""

from __future__ import annotations

NAME_MIN = 12  # cells the name keeps
KEY_NARROW = 14  # the key column's cells at least when it must be cut (in its middle)
KEY_MIN = 12  # ("ExternalId ▲": the title and its sort mark)
SQUEEZED = 8  # status, type and site narrowed to this (cut with …)
UPDATED = 10  # the date (YYYY-MM-DD)


def narrow_widths(width: int, key: int, normal: list[int]) -> list[int] | None:
    """Widths of the columns (key, name, status, type, site, updated) in `width` cells when the
    `normal` ones leave the name fewer than NAME_MIN cells; None when they do not."""
    shown = [w for w in normal[:1] + normal[2:] if w]
    if width - sum(shown) - len(normal) >= NAME_MIN:
        return None
    cells = [
        max(key, KEY_MIN) if key else normal[0],
        0,
        min(SQUEEZED, normal[2]),
        min(SQUEEZED, normal[3]),
        min(SQUEEZED, normal[4]),
        UPDATED,
    ]
    for dropped in (4, 3):  # the site, then the type, while the name lacks room
        if _rest(width, cells) >= NAME_MIN:
            break
        cells[dropped] = 0
    lacking = NAME_MIN - _rest(width, cells)
    if lacking > 0 and cells[0] > KEY_NARROW:  # the last resort: the key cut in its middle
        cells[0] = max(KEY_NARROW, cells[0] - lacking)
    cells[1] = max(1, _rest(width, cells))
    return cells


def _rest(width: int, cells: list[int]) -> int:
    """What is left of `width` for the name: each shown column has a space before it."""
    others = [c for i, c in enumerate(cells) if i != 1 and c]
    return width - sum(others) - len(others) - 1
