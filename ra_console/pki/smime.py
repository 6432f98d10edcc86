"""S/MIME detached signatures (RFC 8551 multipart/signed) for the mail the RA sends."""

from __future__ import annotations

import base64
import secrets
from email import policy
from email.message import EmailMessage

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

PROTOCOL = "application/pkcs7-signature"


def _qp_part(body: str) -> bytes:
    """The signed entity: text/plain, quoted-printable, CRLF line ends, so no relay needs to
    touch it (one changed byte would break the signature)."""
    part = EmailMessage(policy=policy.SMTP)
    part.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    del part["MIME-Version"]
    return part.as_bytes()


def signed_body(body: str, cert: x509.Certificate, key, chain: list[x509.Certificate]
                ) -> tuple[str, bytes]:
    """(Content-Type header value, body bytes) of a multipart/signed message."""
    inner = _qp_part(body)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(inner).add_signer(cert, key,
                                                                          hashes.SHA256())
    for extra in chain:
        builder = builder.add_certificate(extra)
    signature = builder.sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                            pkcs7.PKCS7Options.Binary])
    boundary = "----=_RA_" + secrets.token_hex(12)
    encoded = base64.encodebytes(signature).replace(b"\n", b"\r\n")
    parts = [
        b"This is an S/MIME signed message.\r\n",
        f"--{boundary}\r\n".encode(), inner, f"\r\n--{boundary}\r\n".encode(),
        f'Content-Type: {PROTOCOL}; name="smime.p7s"\r\n'.encode(),
        b"Content-Transfer-Encoding: base64\r\n",
        b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n',
        encoded, f"\r\n--{boundary}--\r\n".encode(),
    ]
    content_type = (f'multipart/signed; protocol="{PROTOCOL}"; micalg="sha-256"; '
                    f'boundary="{boundary}"')
    return content_type, b"".join(parts)
