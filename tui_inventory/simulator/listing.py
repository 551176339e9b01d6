"""A collection's listing order without materialising it: runs of base indices and single entries.

The base entities are one `range`; duplicates, null-key entries and added entities are single
`Special` entries woven in, and a removal splits a run. Slicing a page is a bisect plus the page.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

DUP: Literal["dup"] = "dup"
NULL: Literal["null"] = "null"
ADDED: Literal["added"] = "added"


@dataclass(frozen=True, slots=True)
class Special:
    """A listing entry that is not a plain base entity.

    dup: a second copy of `key`; null: a copy of base entity `source` whose key is null (`blank`
    says "" instead); added: the entity added under `key`.
    """

    tag: Literal["dup", "null", "added"]
    key: str = ""
    source: int = 0
    blank: bool = False


Entry = int | Special
Chunk = range | Special


class Listing:
    def __init__(self, chunks: list[Chunk]) -> None:
        self._chunks = [c for c in chunks if not isinstance(c, range) or len(c)]
        self._reindex()

    @classmethod
    def woven(cls, count: int, insertions: list[tuple[int, Special]]) -> Listing:
        """Base entities 0..count-1 with each special placed just before base index `at`."""
        chunks: list[Chunk] = []
        previous = 0
        for at, special in sorted(insertions, key=lambda pair: pair[0]):
            at = max(previous, min(at, count))
            chunks.append(range(previous, at))
            chunks.append(special)
            previous = at
        chunks.append(range(previous, count))
        return cls(chunks)

    def _reindex(self) -> None:
        self._starts: list[int] = []
        total = 0
        for chunk in self._chunks:
            self._starts.append(total)
            total += len(chunk) if isinstance(chunk, range) else 1
        self._len = total

    def __len__(self) -> int:
        return self._len

    def slice(self, start: int, stop: int) -> list[Entry]:
        stop = min(stop, self._len)
        out: list[Entry] = []
        if start >= stop:
            return out
        c = bisect.bisect_right(self._starts, start) - 1
        position = start
        while position < stop and c < len(self._chunks):
            chunk, offset = self._chunks[c], position - self._starts[c]
            if isinstance(chunk, range):
                part = chunk[offset : offset + (stop - position)]
                out.extend(part)
                position += len(part)
            else:
                out.append(chunk)
                position += 1
            c += 1
        return out

    def __iter__(self) -> Iterator[Entry]:
        for chunk in self._chunks:
            if isinstance(chunk, range):
                yield from chunk
            else:
                yield chunk

    def chunks(self) -> list[Chunk]:
        return list(self._chunks)

    def remove_base(self, index: int) -> bool:
        for c, chunk in enumerate(self._chunks):
            if isinstance(chunk, range) and index in chunk:
                offset = index - chunk.start
                self._chunks[c : c + 1] = [
                    part for part in (chunk[:offset], chunk[offset + 1 :]) if len(part)
                ]
                self._reindex()
                return True
        return False

    def remove_specials(self, keep: Callable[[Special], bool]) -> int:
        before = len(self._chunks)
        self._chunks = [c for c in self._chunks if isinstance(c, range) or keep(c)]
        self._reindex()
        return before - len(self._chunks)

    def append(self, special: Special) -> None:
        self._chunks.append(special)
        self._reindex()
