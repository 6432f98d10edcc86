"""Alembic migrations, run by `ra-console db upgrade`."""
