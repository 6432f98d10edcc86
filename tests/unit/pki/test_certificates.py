"""End-entity certificates built per the S/MIME BR strict profiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ra_console.pki.certificates import SubjectSpec, build_subject, issue_certificate
from ra_console.pki.profiles import profile_from_mapping

PERSON = profile_from_mapping("person", {
    "validation": "sponsor",
    "validity_days": 730,
    "fixed_subject": {"C": "DE", "L": "Berlin", "O": "Universität Example",
                      "organizationIdentifier": "VATDE-DE123456789"},
})
MAILBOX = profile_from_mapping("functional", {"validation": "mailbox", "validity_days": 365})
ANNA = SubjectSpec("Anna-Lena", "Müller", None,
                   ("anna.mueller@uni.example.org", "a.mueller@uni.example.org"))
SUPPORT = SubjectSpec(None, None, None, ("it-support@uni.example.org",))


@pytest.fixture(scope="module")
def person_cert(issuing_ca, rsa2048_key, now, pki_base_url):
    return issue_certificate(issuing_ca, rsa2048_key.public_key(), PERSON, ANNA,
                             pki_base_url=pki_base_url, now=now)


@pytest.fixture(scope="module")
def mailbox_cert(issuing_ca, rsa2048_key_b, now, pki_base_url):
    spki = rsa2048_key_b.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return issue_certificate(issuing_ca, spki, MAILBOX, SUPPORT,
                             pki_base_url=pki_base_url, now=now)


def _ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls)


def test_person_subject():
    subject = build_subject(PERSON, ANNA)
    assert [(a.oid, a.value) for a in subject] == [
        (NameOID.COUNTRY_NAME, "DE"), (NameOID.LOCALITY_NAME, "Berlin"),
        (NameOID.ORGANIZATION_NAME, "Universität Example"),
        (NameOID.ORGANIZATION_IDENTIFIER, "VATDE-DE123456789"),
        (NameOID.GIVEN_NAME, "Anna-Lena"), (NameOID.SURNAME, "Müller"),
        (NameOID.COMMON_NAME, "Anna-Lena Müller"),
    ]


def test_person_subject_variants():
    only_surname = build_subject(PERSON, SubjectSpec(None, "Madonna", None, ANNA.emails))
    assert only_surname.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Madonna"
    explicit = build_subject(PERSON, SubjectSpec("Jo", "Doe", "  Jo   Doe ", ANNA.emails))
    assert explicit.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Jo Doe"
    with pytest.raises(ValueError):
        build_subject(PERSON, SubjectSpec(None, None, "Anna", ANNA.emails))
    with pytest.raises(ValueError):
        build_subject(PERSON, SubjectSpec("A" * 40, "B" * 40, None, ANNA.emails))


def test_mailbox_subject():
    assert len(build_subject(MAILBOX, SUPPORT)) == 0
    with_cn = build_subject(MAILBOX, SubjectSpec(None, None, SUPPORT.emails[0], SUPPORT.emails))
    assert with_cn.rfc4514_string() == "CN=it-support@uni.example.org"
    with pytest.raises(ValueError):
        build_subject(MAILBOX, SubjectSpec(None, None, "IT Support", SUPPORT.emails))
    with pytest.raises(ValueError):
        build_subject(MAILBOX, SubjectSpec("Anna", None, None, SUPPORT.emails))


def test_common_extensions(person_cert, mailbox_cert, issuing_ca, now):
    ca_ski = _ext(issuing_ca.certificate, x509.SubjectKeyIdentifier).value.digest
    for cert in (person_cert, mailbox_cert):
        assert cert.issuer == issuing_ca.certificate.subject
        assert cert.not_valid_before_utc == now
        assert 2**63 < cert.serial_number < 2**159
        assert cert.signature_hash_algorithm.name == "sha256"
        bc = _ext(cert, x509.BasicConstraints)
        assert bc.critical and not bc.value.ca
        ku = _ext(cert, x509.KeyUsage)
        assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment
        assert not ku.value.content_commitment and not ku.value.key_cert_sign
        assert list(_ext(cert, x509.ExtendedKeyUsage).value) == [
            ExtendedKeyUsageOID.EMAIL_PROTECTION]
        assert _ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski
        assert _ext(cert, x509.SubjectKeyIdentifier).value == (
            x509.SubjectKeyIdentifier.from_public_key(cert.public_key()))
        [dp] = _ext(cert, x509.CRLDistributionPoints).value
        assert dp.full_name[0].value == "http://pki.uni.example.org/pki/ra-issuing.crl"
        [aia] = _ext(cert, x509.AuthorityInformationAccess).value
        assert aia.access_location.value == "http://pki.uni.example.org/pki/ra-issuing.crt"
        cert.verify_directly_issued_by(issuing_ca.certificate)
    assert person_cert.serial_number != mailbox_cert.serial_number


def test_person_certificate(person_cert, now):
    assert person_cert.subject == build_subject(PERSON, ANNA)
    [policy] = _ext(person_cert, x509.CertificatePolicies).value
    assert policy.policy_identifier.dotted_string == "2.23.140.1.5.3.3"
    san = _ext(person_cert, x509.SubjectAlternativeName)
    assert not san.critical
    assert san.value.get_values_for_type(x509.RFC822Name) == list(ANNA.emails)
    inclusive = person_cert.not_valid_after_utc - now + timedelta(seconds=1)
    assert timedelta(days=729) < inclusive < timedelta(days=730)


def test_mailbox_certificate(mailbox_cert):
    assert len(mailbox_cert.subject) == 0
    [policy] = _ext(mailbox_cert, x509.CertificatePolicies).value
    assert policy.policy_identifier.dotted_string == "2.23.140.1.5.1.3"
    san = _ext(mailbox_cert, x509.SubjectAlternativeName)
    assert san.critical
    assert san.value.get_values_for_type(x509.RFC822Name) == list(SUPPORT.emails)


def test_validity_capped_by_issuing_ca(issuing_ca, rsa2048_key, pki_base_url):
    late = issuing_ca.certificate.not_valid_after_utc - timedelta(days=10)
    cert = issue_certificate(issuing_ca, rsa2048_key.public_key(), PERSON, ANNA,
                             pki_base_url=pki_base_url, now=late)
    assert cert.not_valid_after_utc == issuing_ca.certificate.not_valid_after_utc


@pytest.mark.parametrize(
    "spec",
    [SubjectSpec("A", "B", None, ()),
     SubjectSpec("A", "B", None, ("no-at-sign",)),
     SubjectSpec("A", "B", None, ("jörg@uni.example.org",)),
     SubjectSpec("A", "B", None, ("a@b@uni.example.org",)),
     SubjectSpec("A", "B", None, ("root@localhost",))],
)
def test_bad_addresses_refused(issuing_ca, rsa2048_key, now, pki_base_url, spec):
    with pytest.raises(ValueError):
        issue_certificate(issuing_ca, rsa2048_key.public_key(), PERSON, spec,
                          pki_base_url=pki_base_url, now=now)


def test_key_and_time_checks(issuing_ca, rsa2048_key, now, pki_base_url):
    only_4096 = profile_from_mapping("p", {
        "validation": "mailbox", "key_algorithms": ["RSA-4096"]})
    with pytest.raises(ValueError, match="RSA-2048"):
        issue_certificate(issuing_ca, rsa2048_key.public_key(), only_4096, SUPPORT,
                          pki_base_url=pki_base_url, now=now)
    with pytest.raises(ValueError, match="timezone"):
        issue_certificate(issuing_ca, rsa2048_key.public_key(), MAILBOX, SUPPORT,
                          pki_base_url=pki_base_url, now=now.replace(tzinfo=None))
    with pytest.raises(ValueError, match="http"):
        issue_certificate(issuing_ca, rsa2048_key.public_key(), MAILBOX, SUPPORT,
                          pki_base_url="ftp://pki.example.org", now=now)


@pytest.mark.parametrize("curve, name", [(ec.SECP256R1, "EC-P256"), (ec.SECP384R1, "EC-P384")])
def test_ec_key_signs_and_agrees_keys(issuing_ca, now, pki_base_url, curve, name):
    key = ec.generate_private_key(curve()).public_key()
    cert = issue_certificate(issuing_ca, key, PERSON, ANNA, pki_base_url=pki_base_url, now=now)
    assert cert.public_key() == key
    usage = _ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.key_agreement
    assert not usage.value.key_encipherment  # RFC 8813: never for an EC key
    only_rsa = profile_from_mapping("p", {"validation": "mailbox", "key_algorithms": ["RSA-4096"]})
    with pytest.raises(ValueError, match=name):
        issue_certificate(issuing_ca, key, only_rsa, SUPPORT, pki_base_url=pki_base_url,
                          now=now)


def test_keys_outside_the_baseline_requirements_are_not_issued(issuing_ca, now, pki_base_url):
    for key in (ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256K1())):
        with pytest.raises(ValueError, match="only RSA and EC"):
            issue_certificate(issuing_ca, key.public_key(), MAILBOX, SUPPORT,
                              pki_base_url=pki_base_url, now=now)
