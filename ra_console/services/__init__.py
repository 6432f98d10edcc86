"""Services behind small interfaces: outbox, mail, CA connectors."""
