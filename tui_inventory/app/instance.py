"""The instance view: every field of one instance by section, its relationships, who refers to
it, and its revision history (newest first) — also after it was removed from the inventory.

It renders from the definition stored in the database, so any definition shows generically.
Everything it reads is read in a thread worker; every value is API data and is shown through
`plain`/`pretty` inside `Text` (rich tables included), never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from rich import box
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui_inventory.revisions import change_lines as _change_lines
from tui_inventory.store.query import InventoryQuery, Reference
from tui_inventory.store.repo import InstanceRecord, RevisionRecord, Store
from tui_inventory.text import plain, pretty
from tui_inventory.tmf.definitions import CHARACTERISTICS, REFS, Definition

from .footer import ConsoleFooter
from .pager import FindBar, PageScroll

VALUE_LIMIT = 2000  # characters of one value shown (a 100 kB name must not slow the screen)
HISTORY_LIMIT = 200  # revisions shown


@dataclass(frozen=True)
class Link:
    """A reference that may be followed: to `key` of inventory `kind`, if it is stored."""

    kind: str
    key: str
    label: str
    stored: bool


@dataclass
class _Snapshot:
    definition: Definition
    record: InstanceRecord | None
    fields: dict[str, Any]  # the record's, or the last known values of a removed instance
    revisions: list[RevisionRecord]
    links: dict[str, list[Link]] = field(default_factory=dict)  # refs field -> links
    referenced_by: list[Reference] = field(default_factory=list)


def moment(stamp: str, *, label: bool = True) -> str:
    """A stored timestamp (`2026-12-01T10:38:16.811480Z`, UTC) as the console shows a revision's
    time: `2026-12-01 10:38:16 UTC` (the one zone the console shows, labelled — by the column's
    title when not `label`)."""
    return plain(stamp[:19].replace("T", " ")) + (" UTC" if label else "")


def _ref_label(ref: Any) -> str:
    if isinstance(ref, dict):
        parts = [ref.get("name"), ref.get("id"), ref.get("type") or ref.get("role")]
        return " · ".join(plain(p, limit=200) for p in parts if p not in (None, ""))
    return plain(ref, limit=200)


def _link(target: str | None, ref: Any, stored: set[str]) -> Link:
    key = ref.get("id") if isinstance(ref, dict) else None
    key = key if isinstance(key, str) else ""
    return Link(target or "", key, _ref_label(ref), bool(target) and key in stored)


def _grid() -> Table:
    table = Table(box=None, expand=True, show_header=False, pad_edge=False)
    table.add_column("Field", style="bold", ratio=1, overflow="fold")
    table.add_column("Value", ratio=3, overflow="fold")
    return table


class InstanceScreen(Screen[None]):
    """One instance (services, carriers or resources), opened from a table or the Changes feed;
    read as in less, `/` finding text in it (`pager`)."""

    DEFAULT_CSS = """
    InstanceScreen #title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    InstanceScreen #body { height: 1fr; padding: 0 1; }
    InstanceScreen .section { margin-top: 1; color: $accent; text-style: bold; }
    InstanceScreen .note { color: $text-muted; }
    InstanceScreen .removed { color: $warning; text-style: bold; }
    InstanceScreen OptionList { height: auto; max-height: 12; margin: 0 0 0 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="back to the screen before"),
        Binding("r", "reload", "Reload", tooltip="read the instance again"),
    ]

    def __init__(self, kind: str, key: str) -> None:
        super().__init__()
        self.kind = kind
        self.key = key
        self.snapshot: _Snapshot | None = None
        self.shown = False  # the snapshot's widgets are mounted
        self._targets: dict[str, Link] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"{self.kind} › {plain(self.key, limit=200)}"), id="title")
        with PageScroll(id="body"):
            yield Static(Text("Reading…"), classes="note")
        yield FindBar()
        yield ConsoleFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(PageScroll).focus()  # its keys (j, k, /…) from the start
        self._load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.shown = False
        self._load()

    # -- reading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> _Snapshot:
        store = cast(Store, self.app.store)  # type: ignore[attr-defined]
        definition = store.definitions()[self.kind]
        record = store.get(self.kind, self.key)
        revisions = store.revisions(self.kind, self.key)[:HISTORY_LIMIT]
        if record is not None:
            fields = record.fields
        else:  # removed: the values its removal recorded
            last = next((r for r in revisions if r.change == "removed"), None)
            fields = {k: v[0] for k, v in last.changes.items()} if last else {}
        snap = _Snapshot(definition, record, fields, revisions)
        for f in definition.fields:
            refs = fields.get(f.name)
            if f.type != REFS or not isinstance(refs, list):
                continue
            ids = [r["id"] for r in refs if isinstance(r, dict) and isinstance(r.get("id"), str)]
            stored: set[str] = set()
            if f.target and ids:
                stored = store.stored_keys(f.target, ids[:500])
            snap.links[f.name] = [_link(f.target, r, stored) for r in refs[:500]]
        if record is not None:
            snap.referenced_by = InventoryQuery(store).referenced_by(self.kind, self.key)
        return snap

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = plain(event.worker.error, limit=300)
            await self._replace([Static(Text(f"Cannot read this instance: {error}"))])
        elif event.state == WorkerState.SUCCESS and isinstance(event.worker.result, _Snapshot):
            self.snapshot = event.worker.result
            await self._replace(list(self._widgets(self.snapshot)))

    async def _replace(self, widgets: list[Widget]) -> None:
        body = self.query_one("#body", VerticalScroll)
        await body.remove_children()
        await body.mount_all(widgets)
        self.shown = True

    # -- showing ------------------------------------------------------------------------------

    def _widgets(self, snap: _Snapshot) -> Any:
        name = snap.record.name if snap.record else snap.fields.get("Name")
        title = f"{snap.definition.title} › {plain(self.key, limit=200)}"
        if name:
            title += f" — {plain(name, limit=200)}"
        self.query_one("#title", Static).update(Text(title))
        if snap.record is None and not snap.revisions:
            yield Static(Text(f"No instance {plain(self.key, limit=200)} in {self.kind}."))
            return
        if snap.record is None:
            when = next((r.at for r in snap.revisions if r.change == "removed"), None)
            at = f" on {moment(when)}" if when else ""
            note = f"Removed from the inventory{at}; its last values and history follow."
            yield Static(Text(note), classes="removed")
        self._targets.clear()
        for section in snap.definition.sections:
            grid = _grid()
            lists: list[Widget] = []
            for f in section.fields:
                value = snap.fields.get(f.name)
                if f.type == CHARACTERISTICS:
                    yield from self._characteristics(section.name, f.name, value)
                elif f.type == REFS:
                    lists.extend(self._refs(f.name, snap.links.get(f.name, [])))
                elif value not in (None, "", [], {}):
                    grid.add_row(Text(plain(f.name)), Text(pretty(value, limit=VALUE_LIMIT)))
            if grid.row_count or lists:
                yield Static(Text(section.name), classes="section")
                if grid.row_count:
                    yield Static(grid)
                yield from lists
        if snap.referenced_by:
            yield Static(Text("Referenced by"), classes="section")
            links = [
                Link(r.kind, r.key, f"{r.kind} {r.key} · {r.name} ({r.field})", True)
                for r in snap.referenced_by
            ]
            yield self._option_list("referenced-by", links)
        yield Static(Text(f"History ({len(snap.revisions)}, newest first)"), classes="section")
        yield Static(self._history(snap.revisions))

    def _characteristics(self, section: str, name: str, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            return
        table = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False, pad_edge=False)
        table.add_column("Characteristic", ratio=1, overflow="fold")
        table.add_column("Value", ratio=3, overflow="fold")
        for k, v in value.items():
            table.add_row(Text(plain(k, limit=200)), Text(pretty(v, limit=VALUE_LIMIT)))
        yield Static(Text(f"{section}: {name} ({len(value)})"), classes="section")
        yield Static(table)

    def _refs(self, name: str, links: list[Link]) -> Any:
        if not links:
            return
        yield Static(Text(f"{name} ({len(links)})"))
        yield self._option_list(f"refs-{len(self._targets)}", links)

    def _option_list(self, id_: str, links: list[Link]) -> OptionList:
        options = []
        for link in links:
            option_id = f"link-{len(self._targets)}"
            self._targets[option_id] = link
            mark = "→ " if link.stored else "  "
            options.append(Option(Text(mark + link.label), id=option_id))
        return OptionList(*options, id=id_, markup=False)

    def _history(self, revisions: list[RevisionRecord]) -> Table:
        table = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False, pad_edge=False)
        table.add_column("When", no_wrap=True)
        table.add_column("Change", no_wrap=True)
        table.add_column("What changed", ratio=1, overflow="fold")
        for rev in revisions:
            what = Text()
            if rev.change == "changed":
                for name, old, new in _change_lines(rev.changes):
                    if what:
                        what.append("\n")
                    what.append(plain(name, limit=200), style="bold")
                    what.append(": " + plain(old, limit=300) + " → " + plain(new, limit=300))
            else:
                names = ", ".join(plain(n, limit=60) for n in list(rev.changes)[:8])
                more = len(rev.changes) - 8
                what.append(names + (f", … {more} more" if more > 0 else ""))
            run = f" (run {rev.run})" if rev.run is not None else ""
            table.add_row(Text(moment(rev.at)), Text(rev.change + run), what)
        return table

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        link = self._targets.get(event.option.id or "")
        if link is None:
            return
        if link.stored:
            self.app.push_screen(InstanceScreen(link.kind, link.key))
        else:
            self.notify(f"{plain(link.label)} is not in the stored inventory.", markup=False)
