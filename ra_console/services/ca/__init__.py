"""CA connectors: one interface, implementations chosen per certificate profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...pki.certificates import SubjectSpec
from ...pki.profiles import CertificateProfile


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
    name: str

    def submit(self, order: Order) -> CAResult: ...

    def poll(self, ref: str) -> CAResult: ...

    def revoke(self, ref: str, serial: str, reason: str | None) -> None: ...


class CAUnavailable(Exception):
    """The CA could not be reached or answered with a temporary error: retry later."""
