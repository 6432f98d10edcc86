"""Adapters: the outbox, mail, CA connectors, the directory, stored settings, the per-process runtime and the database schema. Effects and jobs use them; they never call a use case."""
