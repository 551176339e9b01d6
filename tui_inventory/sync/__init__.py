"""The sync engine: buildup, periodic update, cleanup, with events for whoever watches."""
