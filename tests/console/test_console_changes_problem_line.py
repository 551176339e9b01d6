"""Changes at 60×20 with a since value that is not a time (tester2 #12): the warning takes one
line under the bar (cut with …), whole only while a time box has the focus, and no toast
repeats it over the feed; esc in the box puts back the value it had, enter applies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import SMALL, make_app, screen_text, wait_for
from test_console_burst_keys import settle
from textual.widgets import Input, Static

from tui_inventory.app.changes import ChangesView
from tui_inventory.simulator import Simulator
from tui_inventory.store.repo import Store
from tui_inventory.sync.engine import SyncEngine


async def test_a_bad_since_is_one_line_no_toast_and_esc_restores(
    make_sim: Callable[..., Simulator], make_engine: Callable[..., SyncEngine], tmp_path: Path
) -> None:
    sim = make_sim(**SMALL)
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
    app = make_app(sim, tmp_path, autostart=False)
    async with app.run_test(size=(60, 20)) as pilot:
        app.main_screen.show_tab("tab-changes")
        changes = app.main_screen.query_one(ChangesView)
        await wait_for(pilot, lambda: changes.revisions, 10, "the feed")
        since = changes.query_one("#changes-since", Input)
        problem = changes.query_one("#changes-problem", Static)
        await pilot.press("t", *"2h", "enter")
        await pilot.press("t", *"yesterday", "enter")
        await wait_for(pilot, lambda: "not a time" in screen_text(app), 5, "the problem said")
        await settle(pilot)
        assert problem.size.height == 1, "the warning took more than one line"
        assert not [n for n in app._notifications if "not a time" in n.message], "a toast too"
        line = next(x for x in screen_text(app).splitlines() if "not a time" in x)
        assert "…" in line
        await pilot.press("t")  # the box focused: the line is whole
        await settle(pilot)
        assert problem.size.height > 1
        await pilot.press("ctrl+u", *"xx", "escape")  # esc: the value before, not xx
        assert since.value == "yesterday"
        assert app.focused is changes.feed
        await settle(pilot)
        assert problem.size.height == 1
