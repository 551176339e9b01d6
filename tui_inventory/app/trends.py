"""Pictures on an inventory's panel (SPEC §12): the rate of its running (or last) sync over time,
and its size over its last runs, each a `Sparkline` with its figure beside it, so the shape reads
without colour and the number reads without the shape."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

RATE_WINDOW = 1.0  # seconds of a sync per point of the rate line
RATE_POINTS = 120  # the rate line's memory: the last two minutes of a sync


def compact(n: float) -> str:
    """A figure in at most six characters: 987, 12.3k, 1.2M."""
    if n < 10_000:
        return f"{n:.0f}"
    if n < 1_000_000:
        return f"{n / 1000:.1f}k" if n < 100_000 else f"{n / 1000:.0f}k"
    return f"{n / 1_000_000:.1f}M"


class RateHistory:
    """Items received per second, one point per `window` seconds of the type's run, from the
    cumulative figures (elapsed, received) that the engine's pages or the store's reads give."""

    def __init__(self, window: float = RATE_WINDOW, points: int = RATE_POINTS) -> None:
        self.window = window
        self.points: deque[float] = deque(maxlen=points)
        self._last = (0.0, 0)  # (elapsed, received) at the end of the last point

    def reset(self) -> None:
        self.points.clear()
        self._last = (0.0, 0)

    def add(self, elapsed: float, received: int, window: float | None = None) -> bool:
        """Take the type's figures so far; True when a point was added. A point covers at
        least `window` seconds (the history's own by default)."""
        then, before = self._last
        if elapsed < then or received < before:  # another type run: start again
            self.reset()
            then, before = self._last
        if elapsed - then < (self.window if window is None else window) or elapsed <= then:
            return False
        self.points.append((received - before) / (elapsed - then))
        self._last = (elapsed, received)
        return True

    def flush(self, elapsed: float, received: int) -> bool:
        """The type ended: what came since the last point becomes one (a short run has one)."""
        then, before = self._last
        if elapsed <= then or received <= before:
            return False
        self.points.append((received - before) / (elapsed - then))
        self._last = (elapsed, received)
        return True


class Trends(Vertical):
    """Two rows: `rate` (items/s of the running or last sync) and `size` (stored, over runs)."""

    # Solid theme colours at both ends (no transparency): in the 16-colour ANSI theme the low
    # bars stay visible; without colour the bars' heights still draw the line.
    DEFAULT_CSS = """
    Trends { width: 27; height: auto; margin-left: 1; }
    Trends Horizontal { height: 1; display: none; }
    Trends Horizontal.-shown { display: block; }
    Trends .trend-label { width: 5; color: $text-muted; }
    Trends Sparkline { width: 1fr; }
    Trends Sparkline > .sparkline--max-color { color: $accent; }
    Trends Sparkline > .sparkline--min-color { color: $primary; }
    Trends .trend-value { width: 8; text-align: right; }
    """

    def __init__(self, kind: str) -> None:
        super().__init__(id=f"trends-{kind}")
        self.kind = kind
        self.rate = RateHistory()
        self.sizes: list[int] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id=f"rate-row-{self.kind}"):
            yield Static("rate", classes="trend-label")
            yield Sparkline([], id=f"rate-{self.kind}")
            yield Static(classes="trend-value", id=f"rate-value-{self.kind}")
        with Horizontal(id=f"size-row-{self.kind}"):
            yield Static("size", classes="trend-label")
            yield Sparkline([], id=f"size-{self.kind}")
            yield Static(classes="trend-value", id=f"size-value-{self.kind}")

    def on_mount(self) -> None:
        self.query_one(
            f"#rate-row-{self.kind}"
        ).tooltip = "Items received per second, the running sync's (or the last one's)"
        self.query_one(
            f"#size-row-{self.kind}"
        ).tooltip = "Instances stored before and after each of the last runs"
        self.show_rate()
        self._draw_sizes()

    def show_rate(self) -> None:
        if not self.is_mounted:
            return  # drawn on mount
        points = list(self.rate.points)
        self.query_one(f"#rate-row-{self.kind}").set_class(bool(points), "-shown")
        self.query_one(f"#rate-{self.kind}", Sparkline).data = points
        value = f"{compact(points[-1])}/s" if points else ""
        self.query_one(f"#rate-value-{self.kind}", Static).update(value)

    def show_sizes(self, sizes: list[int]) -> None:
        if sizes != self.sizes:
            self.sizes = sizes
            self._draw_sizes()

    def _draw_sizes(self) -> None:
        if not self.is_mounted:
            return
        sizes = self.sizes
        self.query_one(f"#size-row-{self.kind}").set_class(bool(sizes), "-shown")
        self.query_one(f"#size-{self.kind}", Sparkline).data = [float(s) for s in sizes]
        value = compact(sizes[-1]) if sizes else ""
        self.query_one(f"#size-value-{self.kind}", Static).update(value)
