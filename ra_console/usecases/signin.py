"""Turn sign-in attributes into a person, their IdM mailboxes and an audit event."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from ra_console.adapters.outbox import enqueue
from ra_console.models import Institute, Person, RoleAssignment
from ra_console.usecases.identity_feed import IdentityChange, IdentityRefused, apply_change
from ra_console.workflow import audit


@dataclass(frozen=True)
class SignInIdentity:
    """What the identity provider tells us about the person signing in."""

    username: str
    given_name: str = ""
    surname: str = ""
    emails: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = field(default_factory=tuple)
    groups: tuple[str, ...] = field(default_factory=tuple)


# The sign-in path is one source of the identity feed; its refusal is the feed's.
SignInRefused = IdentityRefused


def as_change(identity: SignInIdentity) -> IdentityChange:
    """What a sign-in says: names, addresses and affiliations, not whether the person is
    active in the IdM (a sign-in never reactivates someone the IdM deprovisioned)."""
    return IdentityChange(username=identity.username, given_name=identity.given_name,
                          surname=identity.surname, emails=identity.emails,
                          affiliations=tuple(sorted(set(identity.affiliations))))


def record_refused_sign_in(session: Session, refused: SignInRefused, *, ip: str | None,
                           now) -> None:
    """Audit the refused sign-in and alert the RA admins through the outbox: one mail per
    set of missing attributes and hour, however many people the IdP mistake hits."""
    missing = ", ".join(refused.missing)
    audit.append_event(session, entity_type="person", entity_id="-", trigger="login_failed",
                       actor=refused.username[:200], role="anonymous", ip=ip,
                       data={"reason": "missing_attributes", "missing": refused.missing})
    enqueue(session, "mail.admin_alert", {
        "template": "sign_in_refused", "path": "/console/",
        "context": {"username": refused.username[:200], "missing": missing,
                    "at": now.strftime("%Y-%m-%d %H:%M UTC")}},
        f"mail.admin_alert:sign_in_refused:{missing}:{now:%Y%m%d%H}")


def sign_in(session: Session, identity: SignInIdentity, *, idm_domains: list[str],
            ip: str | None, now, role_map: list[str] | None = None,
            required: list[str] = ()) -> Person:
    """Create or update the person, sync their IdM mailboxes and SSO roles, record the
    login. SignInRefused, before anything changed, when a `required` attribute is
    missing."""
    person = apply_change(session, as_change(identity), source="signin",
                          actor=identity.username, idm_domains=idm_domains, now=now,
                          required=required)
    person.last_login_at = now
    if role_map is not None:
        sync_sso_roles(session, person, identity.groups, role_map)
    audit.append_event(session, entity_type="person", entity_id=person.public_id,
                       trigger="login", actor=person.username, role="user", ip=ip)
    return person


def upsert_person(session: Session, identity: SignInIdentity, *, idm_domains: list[str],
                  now, source: str = "signin") -> Person:
    """The person with the IdM's current attributes and IdM mailboxes."""
    return apply_change(session, as_change(identity), source=source, actor=identity.username,
                        idm_domains=idm_domains, now=now)


def sync_sso_roles(session: Session, person: Person, groups: tuple[str, ...],
                   role_map: list[str]) -> None:
    """Grant the roles the sign-in attributes map to; take back SSO roles no longer mapped."""
    institutes = {i.code: i.id for i in session.exec(select(Institute)).all()}
    wanted: set[tuple[str, int | None]] = set()
    for entry in role_map:
        value, _, target = entry.rpartition("=")
        role, _, code = target.partition(":")
        if value in groups and (not code or code in institutes):
            wanted.add((role, institutes.get(code) if code else None))
    current = {(a.role, a.institute_id): a for a in session.exec(select(RoleAssignment).where(
        RoleAssignment.person_id == person.id, RoleAssignment.source == "sso")).all()}
    manual = {(a.role, a.institute_id) for a in session.exec(select(RoleAssignment).where(
        RoleAssignment.person_id == person.id, RoleAssignment.source != "sso")).all()}
    for key in wanted - set(current) - manual:
        session.add(RoleAssignment(person_id=person.id, role=key[0], institute_id=key[1],
                                   source="sso"))
        _audit_role(session, person, "role_granted", key)
    for key in set(current) - wanted:
        session.delete(current[key])
        _audit_role(session, person, "role_revoked", key)
    session.flush()


def _audit_role(session: Session, person: Person, trigger: str, key) -> None:
    audit.append_event(session, entity_type="role", entity_id=person.public_id,
                       trigger=trigger, actor="sso", role="system",
                       data={"role": key[0], "institute_id": key[1], "source": "sso"})
