"""Characters a terminal draws as nothing (zero-width space, joiner, byte-order mark) are shown
as visible stand-ins in a table, like U+202E already is: the name on screen is the name stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_fixtures import screen_text
from test_app_tables import built_app, show

NAME = "zero\u200bwidth\u200djoin\ufeffend \u202eback"


def rename_first_service(sim: Any) -> None:
    key = sorted(sim.dataset.expected_keys("services"))[0]
    sim.dataset.set_field("services", key, "Name", NAME)


async def test_zero_width_characters_in_a_name_are_shown_visibly(
    make_sim: Any, make_engine: Any, tmp_path: Path
) -> None:
    app, _ = built_app(make_sim, make_engine, tmp_path, prepare=rename_first_service)
    async with app.run_test(size=(160, 30)) as pilot:
        await show(pilot, app, "services")
        text = screen_text(app)
        assert "zero<U+200B>width<U+200D>join<U+FEFF>end <U+202E>back" in text, text
        assert "\u200b" not in text and "\u200d" not in text and "\ufeff" not in text
