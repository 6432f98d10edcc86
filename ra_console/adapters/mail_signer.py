"""The RA's own mail-signing certificate, issued by the embedded local CA."""

from __future__ import annotations

import dataclasses
import os
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ra_console.pki import issuance_log, localca
from ra_console.pki.bundles import pem_chain
from ra_console.pki.certificates import SubjectSpec
from ra_console.pki.profiles import CertificateProfile

MAIL_SIGNER_PROFILE = "mail-signer"


def create_mail_signer(config: dict, profile: CertificateProfile, now: datetime) -> None:
    """A mailbox-validated certificate for the sender address: key (0600) and certificate
    followed by its chain, at mail.signing_key / mail.signing_cert (replacing what is
    there). It only signs: digitalSignature is its one key usage. The CA's issuance
    register records it, so the OCSP responder knows it."""
    folder = Path(config["pki.local_ca_path"])
    ca = localca.load_ca(folder)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    profile = dataclasses.replace(profile, name=MAIL_SIGNER_PROFILE,
                                  key_algorithms=("RSA-3072",))
    sender = parseaddr(config["mail.sender"])[1]
    cert = issuance_log.sign_recorded(ca, folder, key.public_key(), profile,
                                      SubjectSpec(None, None, None, (sender,)),
                                      pki_base_url=config["pki.base_url"], now=now,
                                      signing_only=True)
    key_path = Path(config["mail.signing_key"])
    key_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    Path(config["mail.signing_cert"]).write_bytes(pem_chain([cert, *localca.chain_for(ca)]))
    issuance_log.mark(folder, [cert.serial_number], "complete")


def needs_new_mail_signer(config: dict) -> bool:
    """True when the signer certificate is missing or still asks for keyEncipherment
    (installations made before it was signing-only)."""
    path = Path(config["mail.signing_cert"])
    if not path.exists():
        return True
    leaf = x509.load_pem_x509_certificate(path.read_bytes())
    return leaf.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
