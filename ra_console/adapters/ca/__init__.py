"""CA connectors: one interface, implementations chosen per certificate profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ra_console.pki.certificates import SubjectSpec
from ra_console.pki.pkcs7 import split_leaf
from ra_console.pki.profiles import CertificateProfile


@dataclass(frozen=True)
class Order:
    """What the RA asks a CA for: the request's key (via CSR), names and profile."""
    request_id: str
    csr_pem: str
    profile: CertificateProfile
    subject: SubjectSpec


@dataclass(frozen=True)
class CAResult:
    """A CA's answer: pending (ask again later), issued (with chain) or rejected."""
    status: str  # pending | issued | rejected
    ref: str | None = None
    cert_pem: str | None = None
    chain_pem: str | None = None
    reason: str | None = None


class CAConnector(Protocol):
    """submit() asks the CA for a certificate. A remote connector first looks the order
    up at the CA (by the request's reference), so a submit whose answer was lost is never
    repeated blindly; it raises CAUnavailable when the outcome cannot be known yet (the
    outbox retries). poll() asks about an accepted order; revoke() revokes at the CA."""
    name: str

    def submit(self, order: Order) -> CAResult: ...

    def poll(self, ref: str) -> CAResult: ...

    def revoke(self, ref: str, serial: str, reason: str | None) -> None: ...


class CAUnavailable(Exception):
    """The CA could not be reached or answered with a temporary error: retry later."""

def issued(certs, ref: str | None) -> CAResult:
    """An "issued" result from the certificates a CA returned (leaf and chain, any order)."""
    from cryptography.hazmat.primitives.serialization import Encoding


    leaf, chain = split_leaf(certs)
    return CAResult(status="issued", ref=ref,
                    cert_pem=leaf.public_bytes(Encoding.PEM).decode(),
                    chain_pem="".join(c.public_bytes(Encoding.PEM).decode() for c in chain))


def request_reference(order: Order) -> str:
    """The stable reference the RA gives the CA with an order (to find it again)."""
    return f"ra-request:{order.request_id}"


def ca_type_for(entries: list[str], profile_name: str) -> str:
    """'profile=CA type' config entries -> the CA's type for this RA profile."""
    for entry in entries:
        name, _, value = entry.partition("=")
        if name.strip() == profile_name:
            return value.strip()
    raise LookupError(f"no CA certificate type configured for profile '{profile_name}'")
