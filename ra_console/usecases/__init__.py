"""Use cases: the operations a person or a job performs. The only callers of the workflow engine's fire() and create()."""
