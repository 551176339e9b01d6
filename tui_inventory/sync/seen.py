"""Which keys a buildup has already seen, without reading the store for most of them.

A buildup skips an entity whose key an earlier page already had (first wins). The keys seen are
tracked in the store (for the resume), but asking the store about every page's keys costs the
sync's busiest thread a read that waits behind the store process's commits (about 1.5 ms a page,
ten times the read itself). So the keys seen in this run, and those tracked before it when it
resumes, go into a Bloom filter: a key it has not seen is certainly new, and only the few it may
have seen (repeats, and about 1 in 200 of a million new keys) are looked up in the store and
among the pages not stored yet. Memory stays fixed (4 MB), however large the inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

BITS = 1 << 25  # 4 MB; three bits a key: about 0.5 % false positives at a million keys
_MASK = BITS - 1


class SeenKeys:
    """The keys of a type's buildup so far (see the module's docstring)."""

    def __init__(self) -> None:
        self._bits = bytearray(BITS >> 3)

    def add(self, keys: Iterable[str]) -> None:
        bits = self._bits
        for key in keys:
            h = hash(key)
            for i in (h & _MASK, (h >> 25) & _MASK, (h >> 39) & _MASK):
                bits[i >> 3] |= 1 << (i & 7)

    def maybe(self, keys: Iterable[str]) -> list[str]:
        """The keys among `keys` that may have been added (every one that was, a few that
        were not)."""
        bits = self._bits
        out = []
        for key in keys:
            h = hash(key)
            for i in (h & _MASK, (h >> 25) & _MASK, (h >> 39) & _MASK):
                if not bits[i >> 3] & (1 << (i & 7)):
                    break
            else:
                out.append(key)
        return out

    def among(
        self,
        keys: list[str],
        pending: Callable[[], set[str]],
        tracked_among: Callable[[list[str]], set[str]],
    ) -> set[str]:
        """The keys among `keys` already seen: in pages not stored yet (`pending`, read first: a
        page may commit between the two reads) or tracked in the store. Adds `keys`."""
        candidates = self.maybe(keys)
        self.add(keys)
        if not candidates:
            return set()
        in_flight = pending()
        return in_flight.intersection(candidates) | tracked_among(candidates)
