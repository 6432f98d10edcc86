"""scim2-server's storage over the RA's persons: reads from the database, every write
through the identity feed (usecases/identity_feed.py), so a SCIM change is audited and
drives the workflows like any other source's."""

from __future__ import annotations

from typing import Any, Union

from flask_babel import gettext as _
from scim2_models import (
    InvalidValueException,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    ResourceType,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import AttrPath, CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize
from sqlalchemy import func
from sqlmodel import Session, select

from ra_console.models import Person
from ra_console.scim.schema import (
    Affiliation,
    PersonEmail,
    PersonName,
    RaPerson,
    UserResource,
)
from ra_console.usecases.identity_feed import IdentityChange, IdentityRefused, apply_change, remove

# filters answered by an index; any other filter is matched in Python (correct, slower)
INDEXED = {"username": Person.username, "externalid": Person.external_id,
           "id": Person.public_id}
FEED_ATTRIBUTES = {"email": "emails", "given_name": "name.givenName",
                   "surname": "name.familyName", "affiliation": "affiliations"}


def version_of(person: Person) -> str:
    return f'W/"{person.idm_version}"'


def to_resource(person: Person):
    user = UserResource(
        id=person.public_id, external_id=person.external_id, user_name=person.username,
        name=PersonName(given_name=person.given_name or None,
                        family_name=person.surname or None),
        display_name=f"{person.given_name} {person.surname}".strip() or None,
        emails=[PersonEmail(value=e) for e in person.idm_emails.split()] or None,
        active=person.idm_active,
        meta=Meta(resource_type="User", created=person.created_at,
                  last_modified=person.idm_updated_at or person.created_at,
                  version=version_of(person)))
    user[RaPerson] = RaPerson(affiliations=[
        Affiliation(value=a) for a in person.affiliations.split()] or None)
    return user


def to_change(user) -> IdentityChange:
    """Everything a SCIM resource says (a PUT or PATCH passes the whole new state)."""
    name = user.name or PersonName()
    extension = user[RaPerson] or RaPerson()
    return IdentityChange(
        username=user.user_name, given_name=name.given_name or "",
        surname=name.family_name or "",
        emails=tuple(e.value for e in user.emails or () if e.value),
        affiliations=tuple(a.value for a in extension.affiliations or () if a.value),
        active=user.active, clear_active=True, external_id=user.external_id or "", removed=False)


class PersonStorage(ScimStorage):
    """One request's view of the persons; `actor` names the SCIM client in the audit."""

    def __init__(self, session: Session, *, actor: str, config: dict, now):
        self.session, self.actor, self.config, self.now = session, actor, config, now

    def get(self, resource_type: ResourceType, resource_id: str, *,
            response_parameters: Any = None):
        return to_resource(self._person(resource_id))

    def search(self, resource_types: list[ResourceType], search_request: SearchRequest,
               *, position: Any = None) -> SearchPage:
        query = select(Person).where(Person.idm_removed_at.is_(None)).order_by(Person.id)
        scim_filter = search_request.filter
        indexed = _indexed(scim_filter)
        if indexed is not None:
            column, value = indexed
            query = query.where(column == value)
        elif scim_filter is not None:  # the rare filter without an index: all persons
            bound = parametrize(ScimFilter, Union[UserResource])(str(scim_filter))  # noqa: UP007
            found = [r for r in map(to_resource, self.session.exec(query).all())
                     if bound.match(r)]
            return _page(search_request, len(found), found)
        total = self.session.exec(select(func.count()).select_from(query.subquery())).one()
        start = max(search_request.start_index or 1, 1) - 1
        count = search_request.count if search_request.count is not None else total
        rows = self.session.exec(query.offset(start).limit(count)).all() if count else []
        return SearchPage(total=total, resources=[to_resource(p) for p in rows])

    def create(self, resource_type: ResourceType, resource):
        existing = self._by_username(resource.user_name)
        if existing is not None and existing.idm_removed_at is None:
            raise UniquenessException(detail=_("A person with this userName exists."))
        return to_resource(self._apply(resource, existing))

    def update(self, resource_type: ResourceType, resource, *,
               expected_version: str | None = None):
        person = self._person(resource.id)
        if expected_version is not None and expected_version != version_of(person):
            raise PreconditionFailedException()
        other = self._by_username(resource.user_name)
        if other is not None and other.id != person.id:
            raise UniquenessException(detail=_("A person with this userName exists."))
        return to_resource(self._apply(resource, person))

    def delete(self, resource_type: ResourceType, resource_id: str, *,
               expected_version: str | None = None) -> None:
        person = self._person(resource_id)
        if expected_version is not None and expected_version != version_of(person):
            raise PreconditionFailedException()
        remove(self.session, person, source="scim", actor=self.actor,
               idm_domains=self.config["organization.idm_domains"], now=self.now)

    def _apply(self, resource, person: Person | None) -> Person:
        change = to_change(resource)
        if change.external_id:
            owner = self.session.exec(select(Person).where(
                Person.external_id == change.external_id)).first()
            if owner is not None and (person is None or owner.id != person.id):
                raise UniquenessException(detail=_("A person with this externalId exists."))
        try:
            return apply_change(self.session, change, source="scim", actor=self.actor,
                                idm_domains=self.config["organization.idm_domains"],
                                now=self.now, person=person,
                                required=self.config["auth.required_attributes"])
        except IdentityRefused as refused:
            missing = ", ".join(FEED_ATTRIBUTES[name] for name in refused.missing)
            raise InvalidValueException(detail=_(
                "The RA needs these attributes of every active person: %(missing)s.",
                missing=missing)) from None

    def _person(self, public_id: str) -> Person:
        person = self.session.exec(select(Person).where(
            Person.public_id == public_id, Person.idm_removed_at.is_(None))).first()
        if person is None:
            raise NotFoundException(detail=_("No such person."))
        return person

    def _by_username(self, username: str | None) -> Person | None:
        return self.session.exec(select(Person).where(
            Person.username == (username or ""))).first()


def _indexed(scim_filter) -> tuple[Any, str] | None:
    """(column, value) for `userName eq "…"`, `externalId eq "…"` or `id eq "…"`."""
    node = scim_filter.ast if scim_filter is not None else None
    if not (isinstance(node, Comparison) and node.op == CompareOperator.eq
            and isinstance(node.attr_path, AttrPath) and not node.attr_path.sub_attr
            and isinstance(node.value, str)):
        return None
    uri = (node.attr_path.uri or "").lower()
    if uri and uri != str(UserResource.__schema__).lower():
        return None
    column = INDEXED.get(node.attr_path.attr.lower())
    return (column, node.value) if column is not None else None


def _page(search_request: SearchRequest, total: int, found: list) -> SearchPage:
    start = max(search_request.start_index or 1, 1) - 1
    count = search_request.count if search_request.count is not None else total
    return SearchPage(total=total, resources=found[start:start + count])
