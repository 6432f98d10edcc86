"""The bottom layer: configuration and the database engine/session. Imports nothing of RA Console."""
