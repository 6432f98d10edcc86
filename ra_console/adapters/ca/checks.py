"""What the RA checks on every certificate a CA returns, before it is offered to anybody.

Refusing problems (the certificate is not delivered, the request is rejected and the RA
admins are alerted): a public key other than the CSR's, addresses or names other than
the ones requested, a chain that does not verify. pkilint's findings are kept with the
certificate; errors among them alert the RA admins but do not hold the certificate back
(it is the CA's certificate either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from ra_console.models import Certificate
from ra_console.pki.bundles import certificate_matches_public_key, verify_chain


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def as_finding(self) -> dict:
        return {"severity": "FATAL", "code": f"ra.{self.code}", "message": self.message}


def _names(name: x509.Name, oid) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def _emails(leaf: x509.Certificate) -> set[str]:
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {e.lower() for e in san.get_values_for_type(x509.RFC822Name)}


def check_received(cert: Certificate, leaf: x509.Certificate, chain: list[x509.Certificate],
                   anchors: list[x509.Certificate], now: datetime,
                   spki: bytes | None = None) -> list[Problem]:
    """Everything wrong with `leaf` (+ `chain`) as the answer to request `cert` (`spki`:
    the request's public key, DER, when the caller has parsed its CSR already)."""
    problems = []
    spki = spki or request_spki(cert)
    if not certificate_matches_public_key(leaf, spki):
        problems.append(Problem("key_mismatch",
                                "the CA returned a certificate for a different public key"))
    wanted = {a.lower() for a in cert.addresses}
    got = _emails(leaf)
    if got != wanted:
        problems.append(Problem("address_mismatch", "addresses differ: requested "
                                f"{sorted(wanted)}, certificate has {sorted(got)}"))
    problems.extend(_name_problems(cert, leaf.subject))
    problems.extend(_chain_problems(leaf, chain, anchors, now))
    return problems


def request_spki(cert: Certificate) -> bytes:
    """The SubjectPublicKeyInfo (DER) of the request's CSR."""
    csr = x509.load_pem_x509_csr(cert.csr_pem.encode())
    return csr.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _name_problems(cert: Certificate, subject: x509.Name) -> list[Problem]:
    expected = {NameOID.GIVEN_NAME: cert.given_name, NameOID.SURNAME: cert.surname}
    if cert.given_name or cert.surname:
        expected[NameOID.COMMON_NAME] = cert.common_name
    problems = []
    for oid, value in expected.items():
        found = _names(subject, oid)
        if value and found != [value]:
            problems.append(Problem("name_mismatch", f"{oid._name}: requested {value!r}, "
                                    f"certificate has {found}"))
        if not value and oid != NameOID.COMMON_NAME and found:
            problems.append(Problem("name_mismatch", f"{oid._name} {found} was not requested"))
    if not (cert.given_name or cert.surname):
        # a functional mailbox: no personal name; a CN may only be one of the addresses
        extra = [cn for cn in _names(subject, NameOID.COMMON_NAME)
                 if cn.lower() not in {a.lower() for a in cert.addresses}]
        if extra:
            problems.append(Problem("name_mismatch", f"unexpected common name {extra}"))
    return problems


def _chain_problems(leaf, chain, anchors, now) -> list[Problem]:
    roots = list(anchors)
    intermediates = [c for c in chain if c.subject != c.issuer]
    if not roots:
        # no trust anchors configured: the chain must at least hang together up to the
        # last certificate the CA sent (its root, or its top intermediate)
        roots = [c for c in chain if c.subject == c.issuer] or chain[-1:]
        intermediates = [c for c in intermediates if c not in roots]
    if not roots:
        return [Problem("chain_invalid", "the CA sent no chain and no root is configured")]
    for root in roots:
        try:
            verify_chain(leaf, intermediates, root, now)
            return []
        except ValueError as exc:
            error = str(exc)
    return [Problem("chain_invalid", error)]
