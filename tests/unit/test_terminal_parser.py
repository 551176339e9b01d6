"""The console's reading of the terminal's bytes (`textkeys.TerminalParser`): a bracketed paste is
one Paste of its text, whatever it holds and however the terminal splits it over reads; ESC then
a letter is esc, then the letter."""

from __future__ import annotations

from textual import events
from textual.message import Message

from tui_inventory.app.textkeys import TerminalParser

START, END = "\x1b[200~", "\x1b[201~"


def read(*chunks: str) -> list[tuple[str, str]]:
    parser = TerminalParser()
    messages: list[Message] = []
    for chunk in chunks:
        messages.extend(parser.feed(chunk))
    return [
        ("paste", m.text) if isinstance(m, events.Paste) else ("key", m.key)
        for m in messages
        if isinstance(m, events.Paste | events.Key)
    ]


def test_a_paste_with_escapes_is_its_text_in_order_and_no_key() -> None:
    assert read(f"{START}x\x1b[0mq{END}") == [("paste", "xq")]
    assert read(f"{START}abc\x1bdef{END}") == [("paste", "abcdef")]
    assert read(f"{START}Be\x1b[31mt\tz\x07\x01{END}") == [("paste", "Bet z")]
    assert read(f"{START}a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\{END}") == [("paste", "alink")]
    assert read(f"{START}one\ntwo{END}") == [("paste", "one\ntwo")]  # (a box keeps line 1)


def test_a_paste_split_over_reads_anywhere_is_one_paste() -> None:
    whole = f"j{START}x\x1b[0mq{END}k"
    for cut in range(1, len(whole)):
        for second in range(cut + 1, len(whole)):
            parts = (whole[:cut], whole[cut:second], whole[second:])
            assert read(*parts) == [("key", "j"), ("paste", "xq"), ("key", "k")], parts


def test_esc_then_a_letter_at_once_is_esc_then_the_letter() -> None:
    assert read("\x1bj") == [("key", "escape"), ("key", "j")]
    assert read("\x1bqk") == [("key", "escape"), ("key", "q"), ("key", "k")]
    assert read("\x1b[A") == [("key", "up")]  # sequences keep their meaning
    assert read("\x1bb") == [("key", "ctrl+left")]  # (iTerm's word move)
