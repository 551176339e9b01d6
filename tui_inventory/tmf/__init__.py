"""TM Forum side: the HTTP client for both dialects, the definitions and the mapping of entities."""
