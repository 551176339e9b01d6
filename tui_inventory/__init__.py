"""tui-inventory: a terminal console for a TMF638/TMF639 satellite network inventory."""

__version__ = "0.1.0"

# The three inventories, in the order a run syncs them: carriers look up the status of their
# bandwidth segments among the services, so services come first.
KINDS: tuple[str, ...] = ("services", "carriers", "resources")
