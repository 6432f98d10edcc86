"""A local CA with a personal and a functional certificate, written to files for the judges."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from support import missing

from ra_console.pki.bundles import pem_chain, pkcs7_der, pkcs7_pem
from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.localca import chain_for, init_ca, load_ca
from ra_console.pki.profiles import profile_from_mapping
from ra_console.pki.revocation import revoke, write_crl

PKI_BASE_URL = "http://pki.uni.example.org/"
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


@dataclass(frozen=True)
class Issued:
    directory: Path  # CA state
    out: Path  # exported files
    person: x509.Certificate
    functional: x509.Certificate
    revoked: x509.Certificate
    ec_person: x509.Certificate  # P-256
    ec_functional: x509.Certificate  # P-384
    rsa3072_person: x509.Certificate


@pytest.fixture
def openssl() -> str:
    path = shutil.which("openssl")
    if path:
        return path
    missing("the openssl binary")


@pytest.fixture(scope="session")
def issued(tmp_path_factory) -> Issued:
    # real time: openssl verify checks validity against the clock
    now = datetime.now(timezone.utc) - timedelta(minutes=1)
    base = tmp_path_factory.mktemp("judges")
    directory, out = base / "ca", base / "out"
    out.mkdir()
    init_ca(directory, organization="Universität Example", country="DE",
            pki_base_url=PKI_BASE_URL, now=now, key_bits=2048)
    ca = load_ca(directory)
    person_profile = profile_from_mapping("person", {
        "validation": "sponsor", "validity_days": 825,
        "fixed_subject": {"C": "DE", "ST": "Berlin", "L": "Berlin",
                          "O": "Universität Example",
                          "organizationIdentifier": "VATDE-DE123456789"},
    })
    mailbox_profile = profile_from_mapping(
        "functional", {"validation": "mailbox", "validity_days": 825})

    def issue(profile, spec, key=None, label=None):
        key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if label:  # the key beside the certificate, for the S/MIME round trips
            (out / f"{label}.key").write_bytes(key.private_bytes(
                PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        return issue_certificate(ca, key.public_key(), profile, spec,
                                 pki_base_url=PKI_BASE_URL, now=now)

    person_spec = SubjectSpec("Anna-Lena", "Müller-Lüdenscheidt", None,
                              ("anna.mueller@uni.example.org", "a.mueller@mail.uni.example.org"))
    functional_spec = SubjectSpec(None, None, None, ("it-support@uni.example.org",))
    person = issue(person_profile, person_spec)
    functional = issue(mailbox_profile, functional_spec)
    ec_person = issue(person_profile, person_spec, ec.generate_private_key(ec.SECP256R1()),
                      "ec_person")
    ec_functional = issue(mailbox_profile, functional_spec,
                          ec.generate_private_key(ec.SECP384R1()), "ec_functional")
    rsa3072_person = issue(person_profile, person_spec,
                           rsa.generate_private_key(public_exponent=65537, key_size=3072),
                           "rsa3072_person")
    revoked = issue(mailbox_profile, SubjectSpec(
        None, None, None, ("old-list@uni.example.org",)))
    revoke(directory, revoked.serial_number, x509.ReasonFlags.cessation_of_operation, now)
    revoke(directory, 0x4242, None, now)
    write_crl(directory, now)

    for label, cert in (("person", person), ("functional", functional), ("revoked", revoked),
                        ("ec_person", ec_person), ("ec_functional", ec_functional),
                        ("rsa3072_person", rsa3072_person)):
        (out / f"{label}.pem").write_bytes(cert.public_bytes(PEM))
        (out / f"{label}.der").write_bytes(cert.public_bytes(DER))
    bundle = [person, *chain_for(ca)]
    (out / "person.p7b").write_bytes(pkcs7_der(bundle))
    (out / "person-pem.p7b").write_bytes(pkcs7_pem(bundle))
    (out / "person-chain.pem").write_bytes(pem_chain(bundle))
    return Issued(directory, out, person, functional, revoked, ec_person, ec_functional,
                  rsa3072_person)
