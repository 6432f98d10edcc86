"""What the RA serves over SCIM: a User with only the attributes the RA needs (data
minimisation: an IdM sending more finds the rest refused by the schema, not stored), the
RA's extension for the affiliation, and the capabilities it announces."""

from __future__ import annotations

from typing import Annotated

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Required,
    Resource,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

RA_EXTENSION = "urn:ietf:params:scim:schemas:extension:ra-console:2.0:User"
MAX_RESULTS = 200  # one page; an IdM pages through more


class PersonName(ComplexAttribute):
    """The person's name as the IdM holds it; it becomes the certificate's CN."""

    given_name: str | None = None
    family_name: str | None = None


class PersonEmail(ComplexAttribute):
    """An address of the person; those in the IdM domains become verified mailboxes."""

    value: Annotated[str | None, Required.true] = None


class Affiliation(ComplexAttribute):
    """An eduPersonAffiliation value (multi-valued like the core User's roles)."""

    value: Annotated[str | None, CaseExact.false] = None


class User(Resource):
    """A person (RFC 7643 §4.1), reduced to what a certificate and offboarding need."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    # case-exact, unlike RFC 7643's default: sign-ins match the user name exactly too, so
    # "JNeu" and "jneu" are two persons on both paths (and the index answers every lookup)
    user_name: Annotated[str | None, Required.true, CaseExact.true, Uniqueness.server] = None
    name: PersonName | None = None
    display_name: Annotated[str | None, Mutability.read_only] = None
    emails: list[PersonEmail] | None = None
    active: bool | None = None


class RaPerson(Extension):
    """What the RA needs beyond the core User: the eduPerson affiliations (e.g. employee,
    student, member) that decide whether the person may hold a certificate."""

    __schema__ = URN(RA_EXTENSION)

    affiliations: list[Affiliation] | None = None


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[AuthenticationScheme(
            type="oauthbearertoken", name="Bearer token",
            description="A token per SCIM client, made in the console (Settings → SCIM).",
            primary=True)],
    )


def provider() -> ScimProvider:
    return ScimProvider(models=[User, RaPerson],
                        resource_types=[ResourceType.from_resource(User[RaPerson])],
                        config=service_provider_config())


UserResource = provider().model_for("User")
