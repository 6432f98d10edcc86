"""`ra-console safe-mode`: see whether a restored copy is in safe mode, and lift it."""

from __future__ import annotations

import getpass

import click

from ra_console.adapters.settings import recorded_safe_mode
from ra_console.cli.common import load_runtime
from ra_console.usecases.safe_mode import SafeModeError, lift


@click.group("safe-mode")
def safe_mode_group() -> None:
    """Safe mode of a restored copy (no mail, no directory changes, no CA calls)."""


@safe_mode_group.command("status")
def status() -> None:
    """Say whether safe mode is on, and why."""
    runtime = load_runtime()
    try:
        with runtime.session() as session:
            recorded = recorded_safe_mode(session)
    finally:
        runtime.engine.dispose()
    reasons = [r for r, on in (("the configuration (safe_mode)", runtime.config["safe_mode"]),
                               ("the database's record", recorded)) if on]
    click.echo(f"safe mode is on: {' and '.join(reasons)}" if reasons else "safe mode is off")


@safe_mode_group.command("lift")
def lift_command() -> None:
    """Leave safe mode (audited): the job runner sends mail and calls the CAs again."""
    runtime = load_runtime()
    try:
        with runtime.session() as session:
            lifted = lift(session, runtime.config, f"cli:{getpass.getuser()}", runtime.now())
            session.commit()
    except SafeModeError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        runtime.engine.dispose()
    click.echo("safe mode lifted: the job runner acts on the world again" if lifted
               else "safe mode was not on")
