"""Run pkilint in-process on issued certificates and CRLs."""

from __future__ import annotations

from functools import lru_cache

from pkilint import loader, pkix
from pkilint.cabf import cabf_crl, smime
from pkilint.pkix import certificate, crl, extension, name

from ra_console.pki.findings import Finding, findings_of


def lint_certificate(cert_der: bytes) -> list[Finding]:
    """S/MIME BR lint; type and generation come from the 2.23.140.1.5.x.y policy OID."""
    try:
        doc = loader.load_der_certificate(cert_der, "certificate")
    except Exception as exc:  # pyasn1 raises many types on bad input
        return [Finding("FATAL", "ra.undecodable_certificate", str(exc))]
    level_generation = smime.determine_validation_level_and_generation(doc)
    if level_generation is None:
        return [Finding("FATAL", "ra.no_smime_policy_oid",
                        "no CA/B Forum S/MIME policy OID, type cannot be determined")]
    return findings_of(_validator(*level_generation).validate(doc.root))


@lru_cache(maxsize=None)
def _validator(level, generation):
    # Building pkilint's validator set takes ~0.2 s; the set holds no per-document state,
    # so one per certificate type serves every certificate (as pkilint's own API does).
    return certificate.create_pkix_certificate_validator_container(
        smime.create_decoding_validators(),
        smime.create_subscriber_validators(level, generation),
    )


def lint_crl(crl_der: bytes, *, authority: bool = False) -> list[Finding]:
    """RFC 5280 + CA/B Forum CRL lint; `authority=True` for a root's ARL."""
    crl_type = (crl.CertificateRevocationListType.ARL if authority
                else crl.CertificateRevocationListType.CRL)
    try:
        doc = loader.load_der_crl(crl_der, "crl")
    except Exception as exc:
        return [Finding("FATAL", "ra.undecodable_crl", str(exc))]
    validator = crl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            crl.create_issuer_validator_container([]),
            crl.create_validity_validator_container(
                [cabf_crl.create_validity_period_validator(crl_type)]
            ),
            crl.create_extensions_validator_container([]),
            cabf_crl.CabfCrlReasonCodeAllowlistValidator(crl_type),
        ],
    )
    return findings_of(validator.validate(doc.root))


__all__ = ["lint_certificate", "lint_crl"]
