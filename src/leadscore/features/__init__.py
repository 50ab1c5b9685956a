"""Features: the entity table, explicit attributes and behaviour aggregated from events."""
