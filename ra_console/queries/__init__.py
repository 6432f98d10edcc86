"""Read-only queries that workflow conditions, effects and pages need. No writes, no use cases."""
