"""The user self-service pages."""
