"""`tui-inventory simulate`: the simulator alone, in the foreground, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from tui_inventory.simulator.server import Simulator, SimulatorError


def instructions(sim: Simulator) -> list[str]:
    """The lines that tell an operator where the simulator is and how to point the product at it."""
    lines = [f"tui-inventory simulator listening on {sim.base_url}"]
    for dialect, version, label in (
        ("ses", 4, "ses"),
        ("tmf630", 4, "tmf630 v4"),
        ("tmf630", 5, "tmf630 v5"),
    ):
        for api in ("tmf638", "tmf639"):
            lines.append(
                f"{api.upper()} URL ({label} dialect): {sim.api_url(api, dialect, version)}"
            )
    for api in ("tmf638", "tmf639"):
        lines.append(f"{api.upper()} username: {sim.usernames[api]}")
        lines.append(f"{api.upper()} password: {sim.passwords[api]}")
    lines.append(
        "Point tui-inventory at it (ses dialect; for tmf630 use the URLs above and sync.dialect tmf630):"
    )
    for key, value in sim.settings("ses").items():
        lines.append(f"tui-inventory config set {key} {value}")
    for name, value in sim.password_env().items():
        lines.append(f"export {name}={value}")
    lines.append("(or store the passwords with: tui-inventory config set-password tmf638 / tmf639)")
    lines.append(
        f"Drift upstream (rename, add and drop one per inventory): curl -X POST {sim.base_url}/admin/drift"
    )
    return lines


def serve(
    *,
    port: int,
    services: int,
    carriers: int,
    resources: int,
    latency_ms: int,
    seed: int,
    faults: str | None,
    changes_per_poll: int = 5,
    change_rate: float = 0.0,
    host: str = "127.0.0.1",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Serve until interrupted; 0 after a clean stop, 2 for bad arguments, 1 when it cannot start."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        sim = Simulator(
            services=services,
            carriers=carriers,
            resources=resources,
            seed=seed,
            latency_ms=latency_ms,
            faults=faults,
            changes_per_poll=changes_per_poll,
            port=port,
            host=host,
            auto_tick=True,
            change_rate=change_rate,
        )
    except ValueError as exc:
        print(f"tui-inventory simulate: {exc}", file=err)
        return 2
    try:
        sim.start()
    except SimulatorError as exc:
        print(f"tui-inventory simulate: {exc}", file=err)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for line in instructions(sim):
            print(line, file=out)
        if faults:
            print(f"Injecting faults: {faults}", file=out)
        if changes_per_poll:
            print(
                f"Each periodic update (updatedDaysAgo=0) finds {changes_per_poll} new upstream changes.",
                file=out,
            )
        if change_rate:
            print(
                f"{change_rate:g} instances change a second, each told by an event to the hubs "
                "registered at {TMF API URL}/hub.",
                file=out,
            )
        print("Press Ctrl-C to stop.", file=out, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sim.stop()
    return 0
