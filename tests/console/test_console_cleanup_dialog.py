"""The held cleanup's dialog at 80×24: every row says why it would go (its Status; the Name is
cut with …), `/` reaches the dialog's own search box, and toasts never cover its buttons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_fixtures import SMALL, make_app, screen_text, wait_for
from test_console_burst_keys import burst, settle
from textual.widgets import Input

from tui_inventory.app.cleanup import CleanupDialog
from tui_inventory.store.repo import Store


async def open_held(pilot: Any, app: Any) -> CleanupDialog:
    await wait_for(pilot, lambda: "resources" in app.held, 10, "the held cleanup")
    app.review_cleanup("resources")
    await wait_for(pilot, lambda: isinstance(app.screen, CleanupDialog), 5, "the dialog")
    dialog = app.screen
    assert isinstance(dialog, CleanupDialog)
    await wait_for(pilot, lambda: dialog.listed, 10, "the list")
    await settle(pilot)
    return dialog


def held_resources(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> Any:
    sim = make_sim(**SMALL)
    for key in sim.dataset.expected_keys("resources"):  # names as long as services' are
        sim.dataset.set_field("resources", key, "Name", f"A long name for {key} running past 80")
    with Store(str(tmp_path / "inventory.db")) as store:
        assert make_engine(sim, store).run("buildup").ok
        stored = sorted(store.keys("resources"))
        for key in stored[: len(stored) * 3 // 4]:
            sim.dataset.remove("resources", key)
        result = make_engine(sim, store).run("buildup")
        assert result.types["resources"].state == "held", result
    return make_app(sim, tmp_path, autostart=False)


async def test_the_dialog_shows_each_rows_status_at_80_columns_and_slash_searches(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    app = held_resources(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_held(pilot, app)
        lines = screen_text(app).splitlines()
        assert any("Status" in line and "Type" in line for line in lines), screen_text(app)
        shown = [c for c in dialog.listed if any(c.key in line for line in lines)]
        assert shown, screen_text(app)
        for c in shown:
            line = next(line for line in lines if c.key in line)
            assert c.status and c.status in line, line
            if c.name not in line:
                assert "…" in line, line
        key = dialog.listed[1].key
        burst(app, "/" + key)  # typed fast: `/` and the key in one read
        await settle(pilot)
        assert dialog.query_one("#cleanup-search", Input).value == key
        await wait_for(pilot, lambda: len(dialog.listed) == 1, 10, "the search to narrow it")


async def test_toasts_do_not_cover_the_dialogs_buttons(
    make_sim: Callable[..., Any], make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    app = held_resources(make_sim, make_engine, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_held(pilot, app)
        for n in range(2):
            app.notify(f"A toast with a few words, as a run's end says {n}.", timeout=30)
        await settle(pilot)
        text = screen_text(app)
        assert "end says 1." in text, text  # the toasts show
        buttons = next(line for line in text.splitlines() if "Keep them" in line)
        assert "Remove" in buttons and "Decide later" in buttons, text
