import time
from pathlib import Path
from app_fixtures import SMALL, make_app, wait_for

async def test_quit(make_sim, tmp_path: Path) -> None:
    sim = make_sim(**SMALL, latency_ms=300)
    app = make_app(sim, tmp_path, settings={"sync.records_per_page": 5, "sync.page_concurrency": 1})
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.panel("services").progress)
        t = time.monotonic()
        await pilot.press("q")
    print("quit took", time.monotonic() - t, app.sync.wait_idle(10), time.monotonic() - t, app.store.runs(1)[0]["state"])
