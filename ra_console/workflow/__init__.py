"""Workflow engine: declarative definitions (workflows/*.yaml) run by `transitions`."""

from __future__ import annotations

from functools import cache


@cache
def workflows():
    """Every workflow definition, loaded and validated once per process."""
    from .definition import load_all

    return load_all()
