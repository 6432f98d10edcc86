"""Registries of the conditions and effects that workflow definitions name."""

from __future__ import annotations

from typing import Callable

CONDITIONS: dict[str, Callable] = {}
EFFECTS: dict[str, Callable] = {}


def condition(name: str):
    """Register `fn(ctx) -> bool` under `name` for use in `conditions:` / `unless:`."""
    def register(fn):
        CONDITIONS[name] = fn
        return fn
    return register


def effect(name: str):
    """Register `fn(ctx) -> None` under `name`; effects only enqueue outbox rows."""
    def register(fn):
        EFFECTS[name] = fn
        return fn
    return register
