"""The instance view and the help read as in less: `j`/`k` scroll them a line, `g`/`G` to the
ends, and `/` finds text on them. A burst after `/` (a paste, fast typing) is the text to find:
none of its letters runs a key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import runs_ended, screen_text, wait_for
from test_app_tables import built_app, show
from test_console_burst_keys import burst, settle

from tui_inventory.app.help import HelpScreen
from tui_inventory.app.instance import InstanceScreen
from tui_inventory.app.pager import FindInput, PageScroll
from tui_inventory.simulator import Simulator
from tui_inventory.sync.engine import SyncEngine


async def test_a_burst_after_slash_on_the_instance_view_is_the_text_to_find(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    ended = runs_ended(app)
    async with app.run_test(size=(80, 24), message_hook=ended) as pilot:
        await show(pilot, app, "services")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InstanceScreen), 5, "the instance")
        instance = app.screen
        assert isinstance(instance, InstanceScreen)
        await wait_for(pilot, lambda: instance.shown and instance.snapshot, 5, "it drawn")
        await settle(pilot)
        burst(app, "/ubsqatar")
        await settle(pilot)
        assert app.is_running and not app.sync.running and not ended.messages
        assert app.screen is instance, "s opened the Settings"
        field = instance.query_one(FindInput)
        assert field.value == "ubsqatar"
        assert app.focused is field
        assert "not found" in screen_text(app)
        await pilot.press("escape")  # done finding: the keys are keys again
        scroll: object = instance.query_one(PageScroll)
        assert app.focused is scroll
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen is not instance, 5, "s to open the Settings")


async def test_j_k_scroll_the_instance_view_and_slash_finds_text_in_it(
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
        assert body.max_scroll_y > 3, "the instance fits: nothing to scroll"
        await pilot.press("j", "j", "j")
        await wait_for(pilot, lambda: body.scroll_y == 3, 5, "j to scroll down a line each")
        await pilot.press("k")
        await wait_for(pilot, lambda: body.scroll_y == 2, 5, "k to scroll up a line")
        await pilot.press("G")
        await wait_for(pilot, lambda: body.scroll_y == body.max_scroll_y, 5, "G: the end")
        await pilot.press("g")
        await wait_for(pilot, lambda: body.scroll_y == 0, 5, "g: the top")
        await pilot.press("slash", *"history", "enter")  # the last section: far down
        await wait_for(pilot, lambda: body.scroll_y > 3, 5, "the find to scroll to it")
        assert "History (" in screen_text(app)
        assert app.focused is body


async def test_j_k_scroll_the_help_and_slash_finds_text_in_it(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        await settle(pilot)
        body = app.screen.query_one(PageScroll)
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: body.scroll_y == 2, 5, "j to scroll the help")
        await pilot.press("k")
        await wait_for(pilot, lambda: body.scroll_y == 1, 5, "k to scroll it back")
        burst(app, "/settings")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen), "a letter after / ran as a key"
        assert app.screen.query_one(FindInput).value == "settings"
        await pilot.press("enter", "n")
        assert body.scroll_y > 1
        await pilot.press("escape")  # esc closes the help, as before
        await wait_for(pilot, lambda: app.screen is app.main_screen, 5, "the help to close")
