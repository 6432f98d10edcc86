"""Workflow engine: declarative definitions (workflows/*.yaml) run by `transitions`."""

from __future__ import annotations

from functools import cache

from ra_console.workflow.definition import load_all


@cache
def workflows():
    """Every workflow definition, loaded and validated once per process."""
    return load_all()
