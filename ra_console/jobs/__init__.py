"""Background jobs: idempotent sweeps over database state, run by `ra-console jobs`."""
