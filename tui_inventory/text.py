"""Untrusted text made safe to show: the one helper every API-provided string passes through.

The result is plain text with no terminal control characters: C0 and C1 controls, DEL, the
bidirectional overrides and the zero-width characters are replaced by visible stand-ins, so an
escape sequence in the data can never reach the terminal nor a name hide a character; the emoji variation selector is dropped, so every terminal
gives the text the width the console measured. Callers show it as literal text (never as markup).
"""

from __future__ import annotations

import json
from typing import Any

VS16 = 0xFE0F
_BIDI = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F}
# Format characters a terminal draws as nothing: a name holding them reads (and is searched) as
# another. Shown like the bidirectional ones: zero-width space, non-joiner, joiner, word joiner and
# the invisible operators, the byte-order mark, the soft hyphen, the Arabic letter and Mongolian
# vowel separator marks.
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x00AD}
_INVISIBLE |= {0x061C, 0x180E}


def _build_table(single_line: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # control pictures: ␛ for ESC, ␇ for BEL...
    if not single_line:
        table.pop(0x0A)
    table[0x09] = " "
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = f"<{code:02X}>"
    for code in _BIDI | _INVISIBLE:
        table[code] = f"<U+{code:04X}>"
    # The emoji variation selector: terminals disagree on the width it gives (🛰️ is one cell in
    # tmux, two for Rich), which shifted a row's later columns. Without it, all count the same.
    table[VS16] = None
    return table


_SINGLE = _build_table(True)
_MULTI = _build_table(False)


def plain(value: Any, *, limit: int | None = None, single_line: bool = True) -> str:
    """`value` as displayable literal text; None is empty; non-strings are JSON (or str)."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float):
        text = json.dumps(value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text.translate(_SINGLE if single_line else _MULTI)


def pretty(value: Any, *, limit: int | None = None) -> str:
    """A JSON value for reading: strings as they are, numbers and booleans as JSON, structures
    pretty-printed over several lines; always through `plain`."""
    if isinstance(value, dict | list):
        return plain(
            json.dumps(value, ensure_ascii=False, indent=2), limit=limit, single_line=False
        )
    return plain(value, limit=limit, single_line=False)


def percent(share: float) -> str:
    """`share` (0.25) as a percentage ("25%") with the digits a small one needs: 0.001 is
    "0.1%", not "0%" (which reads as nothing allowed)."""
    value = share * 100
    if value == 0 or abs(value) >= 1:
        return f"{value:.0f}%"
    return f"{value:.2g}%"
