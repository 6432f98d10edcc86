"""OCSP responses (RFC 6960) for the local issuing CA, signed by the CA itself.

Status comes from the CA's revocation register (revoked.json) and from whether the RA
issued the serial at all: a serial the CA never issued is "unknown", never "good"
(S/MIME BR §4.9.10). Responses are valid for OCSP_VALID_HOURS (BR: 8 hours to 10 days).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from ra_console.pki._common import utc_seconds
from ra_console.pki.findings import Finding, findings_of
from ra_console.pki.localca import load_ca
from ra_console.pki.revocation import load_revoked

OCSP_VALID_HOURS = 4 * 24


def _issuer_hashes(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm
                   ) -> tuple[bytes, bytes]:
    def digest(data: bytes) -> bytes:
        h = hashes.Hash(algorithm)
        h.update(data)
        return h.finalize()

    key = issuer.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.PKCS1)
    return digest(issuer.subject.public_bytes()), digest(key)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER)


def respond(directory, request_der: bytes, now: datetime,
            was_issued: Callable[[int], bool]) -> bytes:
    """The DER OCSP response to `request_der` (errors become unsuccessful responses)."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        serial = request.serial_number
        algorithm = request.hash_algorithm
    except (ValueError, TypeError):
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    ca = load_ca(directory)
    if (request.issuer_name_hash, request.issuer_key_hash) != _issuer_hashes(
            ca.certificate, algorithm):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    now = utc_seconds(now)
    revoked = {e.serial: e for e in load_revoked(directory)}
    entry = revoked.get(serial)
    if entry is not None:
        status = ocsp.OCSPCertStatus.REVOKED
    elif was_issued(serial):
        status = ocsp.OCSPCertStatus.GOOD
    else:
        status = ocsp.OCSPCertStatus.UNKNOWN
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
        serial_number=serial, algorithm=algorithm, cert_status=status,
        this_update=now, next_update=now + timedelta(hours=OCSP_VALID_HOURS),
        revocation_time=utc_seconds(entry.revoked_at) if entry else None,
        revocation_reason=entry.reason if entry else None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate)
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
        builder = builder.add_extension(nonce, critical=False)
    except x509.ExtensionNotFound:
        pass
    return builder.sign(ca.private_key, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)


def lint_response(response_der: bytes) -> list:
    """pkilint's RFC 6960 checks of an OCSP response (list of findings.Finding)."""
    # pkilint here, not at the top: the web app answers OCSP requests with this module
    # and never lints there; pkilint's loaded schemas cost each gunicorn worker tens of MB
    from pkilint import loader, pkix
    from pkilint.pkix import extension, name, ocsp as pkilint_ocsp

    try:
        doc = loader.load_der_ocsp_response(response_der, "ocsp")
    except Exception as exc:  # pyasn1 raises many types on bad input
        return [Finding("FATAL", "ra.undecodable_ocsp_response", str(exc))]
    validator = pkilint_ocsp.create_pkix_ocsp_response_validator_container(
        [pkilint_ocsp.create_response_decoder(),
         pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
         pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS)], [])
    return findings_of(validator.validate(doc.root))
