"""What conditions and effects get to see while a transition fires."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from ra_console.workflow.actor import Actor


@dataclass
class FireContext:
    session: Session
    row: Any
    trigger: str
    actor: Actor
    role: str
    data: dict[str, Any] = field(default_factory=dict)
    transition: Any = None  # the Transition taken, set while it fires

    @property
    def runtime(self):
        """The app's runtime (config, profiles, clock), carried by the session."""
        return self.session.info["runtime"]
