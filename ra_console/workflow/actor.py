"""Who fires a transition: a person with roles, or the system (jobs)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    username: str
    person_id: int | None = None
    # role -> institute ids (network_contact) or an empty set (global roles)
    roles: dict[str, frozenset[int]] = field(default_factory=dict)
    ip: str | None = None

    @property
    def is_system(self) -> bool:
        return "system" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def sees_everything(self) -> bool:
        """The global reading roles (RA admin, auditor) see every institute's rows."""
        return "ra_admin" in self.roles or "auditor" in self.roles

    def institutes(self, role: str = "network_contact") -> frozenset[int]:
        return self.roles.get(role, frozenset())


SYSTEM = Actor(username="system", roles={"system": frozenset()})
