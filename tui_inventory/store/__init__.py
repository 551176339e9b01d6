"""The inventory store: instances, revisions, runs, buildup state, the lease, the table queries."""
