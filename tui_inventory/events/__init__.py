"""Event notifications beside polling (SPEC §10): the listener, the applier, the hub registration.

No Textual here: the daemon and a console that syncs both run it.
"""
