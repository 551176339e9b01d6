"""What `sync --once` and `demo --headless` print while a run goes and when it ends.

Progress and each inventory's result line go to stdout; why a run failed or held a cleanup back
goes to stderr at the end, each cause once however many inventories share it. Upstream text is
printed through `plain` (literal, no control characters).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO, assert_never

from rich.text import Text

from tui_inventory import KINDS
from tui_inventory.store.repo import Store
from tui_inventory.sync import events as ev
from tui_inventory.text import plain

# The engine ends a type's terse reason with this when the full explanation went to the log.
SEE_LOG = " The sync log says what to do."


def counts_line(store: Store) -> str:
    counts = store.counts()
    return "stored: " + ", ".join(f"{k} {counts[k]}" for k in KINDS)


class Outcome:
    """The causes of a failed run (or a held cleanup), each once, for stderr."""

    def __init__(self) -> None:
        self._causes: dict[str, list[str]] = {}  # cause -> the inventories it stopped
        self._lock = threading.Lock()

    def add(self, cause: str, kind: str | None = None) -> None:
        core = cause.removesuffix(SEE_LOG)
        with self._lock:
            for said, kinds in self._causes.items():
                if core in said:  # the same cause, or one a fuller sentence already says
                    if kind and kind not in kinds and said == cause:
                        kinds.append(kind)
                    return
            self._causes[cause] = [kind] if kind else []

    def note(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.Logged) and event.level == "error" and not event.outcome:
            self.add(event.message)
        elif isinstance(event, ev.TypeFinished) and event.state != "succeeded":
            if event.state == "held":
                reason = event.reason.removesuffix("; confirm it to proceed")
                self.add(
                    f"{event.kind}: {reason}; run again with --allow-mass-delete to let it "
                    f"proceed, or decide it with `tui-inventory cleanup {event.kind}`"
                )
            else:
                self.add(event.reason or f"{event.kind} {event.state}", event.kind)
        elif isinstance(event, ev.RunFinished) and event.state != "succeeded" and not self._causes:
            self.add(event.reason or f"the {event.mode} {event.state}")

    def lines(self) -> list[str]:
        with self._lock:
            return [
                plain(f"{cause} ({', '.join(kinds)})" if len(kinds) > 1 else cause)
                for cause, kinds in self._causes.items()
            ]

    def write(self, err: TextIO | None = None) -> None:
        for line in self.lines():
            print(f"tui-inventory: {line}", file=err or sys.stderr, flush=True)


class Reporter:
    """Prints engine events as lines: progress at most once a second, each inventory's result
    line, and (`finish`) why the run failed on stderr.

    The engine calls it from one thread per API at once: each line is written whole (text and
    newline in one write) under a lock, so two APIs' lines never run into each other.
    """

    def __init__(self, out: TextIO | None = None, *, interval: float = 1.0) -> None:
        self.out = out
        self.interval = interval
        self.outcome = Outcome()
        self._last = 0.0
        self._lock = threading.Lock()
        self._closed = False
        self._type_reasons = False  # a type said why it did not succeed (the run need not)

    def __call__(self, event: ev.EngineEvent) -> None:
        self.outcome.note(event)
        match event:
            case ev.RunStarted():
                self._type_reasons = False
                self.line(f"run {event.run_id}: {event.mode} of {', '.join(event.kinds)}")
            case ev.TypeStarted():
                start = f" (resuming at page {event.first_page})" if event.first_page > 1 else ""
                self.line(f"{event.kind}: {event.mode} started{start}")
            case ev.PageStored():
                self.progress(event)
            case ev.Logged():
                if event.level == "warning" and not event.outcome:
                    self.line(f"warning: {plain(event.message)}")
            case ev.TypeFinished():
                self._type_reasons = self._type_reasons or bool(event.reason)
                self.result(ev.result_line(event.kind, event.state, event.reason, event.counters))
            case ev.RunFinished():
                self.line(self.run_line(event))
            case ev.GapRecorded() | ev.CleanupHeld() | ev.CleanupDone():
                pass  # their log lines say what matters here (errors reach stderr at the end)
            case _:
                assert_never(event)

    def run_line(self, event: ev.RunFinished) -> str:
        """`run 3: update failed`, with the run's reason when no type said it already."""
        reason = f" ({event.reason})" if event.reason and not self._type_reasons else ""
        return plain(f"run {event.run_id}: {event.mode} {event.state}{reason}")

    def progress(self, event: ev.PageStored) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        c = event.counters
        total = f"/{event.total}" if event.total is not None else ""
        rate = c.received / event.elapsed if event.elapsed > 0 else 0.0
        self.line(
            f"{event.kind}: page {event.page}, {c.received}{total} received, "
            f"{c.created} created, {c.updated} updated ({rate:.0f}/s)"
        )

    def result(self, text: str) -> None:
        self.line(plain(text))

    def finish(self, store: Store | None = None) -> None:
        """The run is over: the store's counts (stdout), then why it failed (stderr)."""
        if store is not None:  # through `line`: a reader gone (`| head`) does not hide the status
            self.line(counts_line(store))
        self.outcome.write()

    def close(self) -> None:
        """The run stopped, however it stopped (an interrupt, a crash): nothing to undo here."""

    def line(self, text: str) -> None:
        out = self.out or sys.stdout
        with self._lock:
            if self._closed:
                return
            try:
                out.write(text + "\n")
                out.flush()
            except BrokenPipeError:
                # The reader went away (`| head`); the sync goes on, and the CLI exits quietly
                # when the main thread next writes.
                self._closed = True


class ProgressReporter(Reporter):
    """On a terminal: a live progress bar per inventory (page, items, rate, and percentage and
    ETA when the upstream says its total), drawn by rich; lines (warnings) scroll above the bars;
    when a run ends the bars go and its result lines are printed in their place."""

    def __init__(self, out: TextIO | None = None) -> None:
        super().__init__(out, interval=0.0)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.console = Console(file=out or sys.stdout, highlight=False)
        self.bars = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            TextColumn("page {task.fields[page]}"),
            TextColumn("{task.fields[items]} items"),
            TextColumn("{task.fields[rate]}/s"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,  # the result lines take their place
        )
        self._tasks: dict[str, Any] = {}
        self._results: list[str] = []
        self._drawn = 0.0

    def __call__(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.RunStarted):
            self._tasks.clear()
            self._results.clear()
            self.bars.start()
        elif isinstance(event, ev.TypeStarted):
            self._tasks[event.kind] = self.bars.add_task(
                event.kind, total=None, page=event.first_page, items=0, rate=0
            )
            self.bars.refresh()
        elif isinstance(event, ev.TypeFinished) and event.kind in self._tasks:
            done = event.counters.received  # a full bar, whatever total the upstream gave
            self.bars.update(self._tasks[event.kind], total=max(done, 1), completed=max(done, 1))
        elif isinstance(event, ev.RunFinished):
            self.outcome.note(event)
            self.bars.stop()  # (transient: the bars go)
            for line in self._results:
                self.line(line)
            self.line(self.run_line(event))
            return
        super().__call__(event)

    def progress(self, event: ev.PageStored) -> None:
        task = self._tasks.get(event.kind)
        if task is None:
            return
        received = event.counters.received
        rate = received / event.elapsed if event.elapsed > 0 else 0.0
        self.bars.update(
            task,
            completed=received,
            total=event.total,
            page=event.page,
            items=received,
            rate=f"{rate:.0f}",
        )
        now = time.monotonic()
        if now - self._drawn >= 0.1:  # at once, not at the next tick: a short run shows too
            self._drawn = now
            self.bars.refresh()

    def result(self, text: str) -> None:
        self._results.append(plain(text))

    def close(self) -> None:
        """Give the terminal back (its cursor shown) when a run stops without finishing."""
        if self.bars.live.is_started:
            self.bars.stop()

    def line(self, text: str) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                self.console.print(Text(text), soft_wrap=True)
            except BrokenPipeError:
                self._closed = True


def line_reporter() -> Reporter:
    """Bars on a terminal, plain lines otherwise (piped, redirected, under cron)."""
    return ProgressReporter() if sys.stdout.isatty() else Reporter()
