"""Build S/MIME end-entity certificates (SBR strict) for the local CA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from ra_console.pki._common import (
    authority_key_id,
    ca_issuers,
    crl_distribution_points,
    pki_url,
    random_serial,
    utc_seconds,
)
from ra_console.pki.keys import algorithm_of, key_usage
from ra_console.pki.localca import IssuingCA
from ra_console.pki.profiles import CertificateProfile

_ATTRIBUTE_OIDS = {
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "organizationIdentifier": NameOID.ORGANIZATION_IDENTIFIER,
}
# Most significant first, the usual X.500 order; the person's names come last.
_FIXED_ORDER = ("C", "ST", "L", "O", "OU", "organizationIdentifier")
_UB_NAME = 64  # ub-common-name, ub-surname is larger but CN must fit too


@dataclass(frozen=True)
class SubjectSpec:
    """The person-dependent part of the subject plus the addresses for the SAN."""
    given_name: str | None
    surname: str | None
    common_name: str | None
    emails: tuple[str, ...]


def _clean(value: str | None, label: str) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > _UB_NAME:
        raise ValueError(f"{label} longer than {_UB_NAME} characters")
    return value or None


def _emails(spec: SubjectSpec) -> tuple[str, ...]:
    seen: list[str] = []
    for address in spec.emails:
        local, at, domain = address.partition("@")
        # rfc822Name is IA5String: internationalised addresses would need SmtpUTF8Mailbox
        bad_domain = "@" in domain or "." not in domain.strip(".")
        if not (local and at) or bad_domain or not address.isascii() or " " in address:
            raise ValueError(f"not a usable e-mail address: {address!r}")
        if address not in seen:
            seen.append(address)
    if not seen:
        raise ValueError("at least one e-mail address is required")
    return tuple(seen)


def build_subject(profile: CertificateProfile, spec: SubjectSpec) -> x509.Name:
    """Subject per profile: a person's names plus fixed attributes, or empty for mailboxes."""
    given = _clean(spec.given_name, "given name")
    surname = _clean(spec.surname, "surname")
    common_name = _clean(spec.common_name, "common name")
    if profile.validation == "mailbox":
        if given or surname:
            raise ValueError("a functional mailbox certificate carries no personal name")
        if common_name is None:
            return x509.Name([])  # SAN becomes critical
        # SBR: the CN of a mailbox-validated certificate may only be the address
        if common_name not in _emails(spec):
            raise ValueError("the CN of a mailbox certificate must be one of its addresses")
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    if not (given or surname):
        raise ValueError("a person's certificate needs a given name or a surname")
    common_name = common_name or " ".join(p for p in (given, surname) if p)
    if len(common_name) > _UB_NAME:
        raise ValueError(f"common name longer than {_UB_NAME} characters")
    fixed = profile.fixed
    attributes = [x509.NameAttribute(_ATTRIBUTE_OIDS[a], fixed[a])
                  for a in _FIXED_ORDER if a in fixed]
    if given:
        attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, given))
    if surname:
        attributes.append(x509.NameAttribute(NameOID.SURNAME, surname))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _load_public_key(public_key):
    if isinstance(public_key, (bytes, bytearray)):
        public_key = serialization.load_der_public_key(bytes(public_key))
    if algorithm_of(public_key) is None:
        raise ValueError("only RSA and EC (P-256, P-384, P-521) subscriber keys are issued")
    return public_key


def _aia(ca_url: str, ocsp_url: str | None) -> x509.AuthorityInformationAccess:
    if not ocsp_url:
        return ca_issuers(ca_url)
    return x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                               x509.UniformResourceIdentifier(ocsp_url)),
        *ca_issuers(ca_url)])


def issue_certificate(
    issuer: IssuingCA,
    public_key,
    profile: CertificateProfile,
    spec: SubjectSpec,
    *,
    pki_base_url: str,
    now: datetime,
    ocsp_url: str | None = None,
    serial: int | None = None,
    signing_only: bool = False,
) -> x509.Certificate:
    """Sign an end-entity certificate; `public_key` is a key object or SPKI DER. With
    `ocsp_url` the AIA names the OCSP responder besides the CA certificate; `serial` is
    the one recorded before signing (else a fresh random one); `signing_only` leaves out
    keyEncipherment."""
    key = _load_public_key(public_key)
    algorithm = algorithm_of(key)
    if algorithm not in profile.key_algorithms:
        raise ValueError(f"{algorithm} is not allowed by profile {profile.name!r}")
    subject = build_subject(profile, spec)
    emails = _emails(spec)
    now = utc_seconds(now)
    # RFC 5280 counts notAfter inclusively (-1 s); one more second keeps even 825 days
    # strictly below the SBR maximum (pkilint warns at exactly 825). A certificate
    # never outlives its issuing CA.
    not_after = min(now + timedelta(days=profile.validity_days, seconds=-2),
                    issuer.certificate.not_valid_after_utc)
    if not_after <= now:
        raise ValueError("the issuing CA has expired")
    policy = x509.PolicyInformation(x509.ObjectIdentifier(profile.policy_oid), None)
    san = x509.SubjectAlternativeName([x509.RFC822Name(e) for e in emails])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject)
        .public_key(key)
        .serial_number(serial or random_serial())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(key, signing_only=signing_only), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.CertificatePolicies([policy]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(authority_key_id(issuer.certificate), critical=False)
        # RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical
        .add_extension(san, critical=len(subject) == 0)
        .add_extension(crl_distribution_points(pki_url(pki_base_url, issuer.name, "crl")), False)
        .add_extension(_aia(pki_url(pki_base_url, issuer.name, "crt"), ocsp_url), False)
    )
    return builder.sign(issuer.private_key, hashes.SHA256())
