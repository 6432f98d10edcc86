"""The embedded local CA as a connector: issues at once, revokes into its CRL."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ra_console.adapters.ca import CAResult, Order
from ra_console.pki import localca, revocation
from ra_console.pki.bundles import pem_chain
from ra_console.pki.issuance_log import sign_recorded
from ra_console.pki.revocation import REASON_FLAGS

# Fault tests only: seconds to sleep after signing, before the certificate reaches the
# database (tests/integration/test_issuance_register.py kills the process there).
SLEEP_AFTER_SIGNING = "RA_FAULT_SLEEP_AFTER_SIGNING"


def ocsp_url(pki_base_url: str) -> str:
    """The local CA's OCSP responder as written into certificates (served at /pki/ocsp)."""
    return pki_base_url.rstrip("/") + "/pki/ocsp"


class LocalCA:
    name = "local"

    def __init__(self, directory: Path, pki_base_url: str, now: Callable[[], datetime]):
        self.directory, self.pki_base_url, self.now = Path(directory), pki_base_url, now

    def submit(self, order: Order) -> CAResult:
        ca = localca.load_ca(self.directory)
        csr = x509.load_pem_x509_csr(order.csr_pem.encode())
        cert = sign_recorded(ca, self.directory, csr.public_key(), order.profile,
                             order.subject, pki_base_url=self.pki_base_url, now=self.now(),
                             ocsp_url=ocsp_url(self.pki_base_url))
        if os.environ.get(SLEEP_AFTER_SIGNING):
            time.sleep(float(os.environ[SLEEP_AFTER_SIGNING]))
        serial = format(cert.serial_number, "x")
        return CAResult(
            status="issued", ref=serial,
            cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            chain_pem=pem_chain(localca.chain_for(ca)).decode(),
        )

    def poll(self, ref: str) -> CAResult:
        # submit() issues at once, so the local CA never has an order to collect.
        raise LookupError(f"the local CA has no pending order {ref!r}")

    def revoke(self, ref: str, serial: str, reason: str | None) -> None:
        flag = REASON_FLAGS.get(reason or "unspecified")
        revocation.revoke(self.directory, int(serial, 16), flag, self.now())
        revocation.write_crl(self.directory, self.now())
