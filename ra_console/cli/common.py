"""What the `ra-console` commands share."""

from __future__ import annotations

import click

from ra_console.adapters.runtime import Runtime, build_runtime
from ra_console.core.config import ConfigError, load_config


def load_runtime(**overrides) -> Runtime:
    """The runtime from the configuration; a bad key ends the command with its message."""
    try:
        return build_runtime(load_config(overrides=overrides or None))
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None
