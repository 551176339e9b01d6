"""The Textual console. Only this package imports textual; the core never does."""
