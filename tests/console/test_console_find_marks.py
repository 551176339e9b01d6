"""`/` on the help and the instance view (tester2 #6, #7): every occurrence of the text is marked
in reverse video (seen without colour), the title is searched too, the count stays on screen
while n/N move after enter; and `j` typed five times in one read moves five lines."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from app_fixtures import screen_text, wait_for
from rich.console import Console
from test_app_tables import built_app, show
from test_console_burst_keys import burst, settle

from tui_inventory.app.help import HelpScreen
from tui_inventory.app.instance import InstanceScreen
from tui_inventory.app.main import InventoryApp
from tui_inventory.app.pager import PageScroll
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


def reversed_runs(app: InventoryApp) -> list[str]:
    """The runs of text the terminal shows in reverse video (no colours: as with NO_COLOR)."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), force_terminal=True,
        color_system="standard", record=True, legacy_windows=False,
    )  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True, screen_stack=[]))
    ansi = console.export_text(styles=True)
    runs: list[str] = []
    for codes, text in re.findall(r"\x1b\[([\d;]*)m([^\x1b]*)", ansi):
        if "7" in codes.split(";") and text.strip():
            runs.append(text)
    return runs


async def test_find_on_the_help_marks_every_occurrence_and_keeps_the_count(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        await settle(pilot)
        body = app.screen.query_one(PageScroll)
        # "another" is twice on one line of the help: both count, both are marked
        await pilot.press("slash", *"another", "enter")
        await settle(pilot)
        assert len(body.matches) == 2 and body.matches[0].y == body.matches[1].y
        assert reversed_runs(app).count("another") == 2
        await pilot.press("n")
        await settle(pilot)
        assert "2/2" in screen_text(app), "the count went with the find bar"
        await pilot.press("n")
        await settle(pilot)
        assert "1/2" in screen_text(app)


async def test_help_moves_a_line_for_each_j_of_a_burst(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        await settle(pilot)
        body = app.screen.query_one(PageScroll)
        burst(app, "jjjjj")
        await settle(pilot)
        assert body.scroll_y == 5
        burst(app, "kk")
        await settle(pilot)
        assert body.scroll_y == 3


async def test_find_on_the_instance_view_searches_the_title_and_marks_it(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, app, "services")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5, "the instance")
        instance = app.screen
        assert isinstance(instance, InstanceScreen)
        await wait_for(pilot, lambda: instance.shown and instance.snapshot, 5, "it drawn")
        await settle(pilot)
        body = instance.query_one(PageScroll)
        title = instance.query_one("#title")
        key = instance.key
        await pilot.press("slash", *key.lower(), "enter")
        await settle(pilot)
        assert body.matches and body.matches[0].widget is title
        assert key in reversed_runs(app)
        assert f"1/{len(body.matches)}" in screen_text(app)
