"""The simulated upstream: a real HTTP server on loopback serving TMF638/TMF639 in both dialects.

The product's tests and benchmarks use it as their upstream and `tui-inventory demo` embeds it::

    with Simulator(services=200, carriers=50, resources=500, seed=1) as sim:
        sim.settings("ses")       # config values that point the product at it
        sim.passwords             # the fixed demo passwords, one per API
        sim.dataset.tick()        # upstream changes between polls
        sim.faults.add("resources", 3, "504", times=2)
"""

from tui_inventory.simulator.app import PASSWORDS, USERNAMES, RequestRecord
from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.faults import FAULTS, Fault, Faults, parse_spec
from tui_inventory.simulator.generate import EXCLUDED_TYPES, KINDS, resource_type
from tui_inventory.simulator.server import Simulator, SimulatorError

__all__ = [
    "EXCLUDED_TYPES",
    "FAULTS",
    "KINDS",
    "PASSWORDS",
    "USERNAMES",
    "Dataset",
    "Fault",
    "Faults",
    "RequestRecord",
    "Simulator",
    "SimulatorError",
    "parse_spec",
    "resource_type",
]
