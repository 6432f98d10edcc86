"""The embedded local CA: creation, loading, revocation register, CRLs."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from ra_console.pki.localca import chain_for, init_ca, load_ca
from ra_console.pki.revocation import RevokedEntry, build_crl, load_revoked, revoke, write_crl


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def fresh_ca(tmp_path, now, pki_base_url):
    """A CA of its own for tests that write revocations."""
    directory = tmp_path / "ca"
    init_ca(directory, organization="Example Uni", country="DE", pki_base_url=pki_base_url,
            now=now, key_bits=2048, name="smime-ca", root_name="smime-root")
    return directory


def test_files_and_permissions(ca_dir):
    assert _mode(ca_dir) == 0o700
    assert _mode(ca_dir / "root.key") == 0o600
    assert _mode(ca_dir / "issuing.key") == 0o600
    assert (ca_dir / "root.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    for name in ("root.crt", "issuing.crt"):
        x509.load_pem_x509_certificate((ca_dir / name).read_bytes())


def test_load_ca(issuing_ca, now, pki_base_url):
    assert issuing_ca.name == "ra-issuing"
    assert issuing_ca.root_name == "ra-root"
    assert issuing_ca.pki_base_url == pki_base_url
    assert issuing_ca.certificate.issuer == issuing_ca.root_certificate.subject
    assert issuing_ca.certificate.public_key() == issuing_ca.private_key.public_key()
    assert chain_for(issuing_ca) == [issuing_ca.certificate, issuing_ca.root_certificate]
    assert issuing_ca.certificate.not_valid_before_utc == now


def test_root_extensions(issuing_ca):
    root = issuing_ca.root_certificate
    assert root.issuer == root.subject
    bc = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = root.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    assert not ku.value.digital_signature
    root.verify_directly_issued_by(root)


def test_issuing_extensions(issuing_ca):
    cert = issuing_ca.certificate
    ext = cert.extensions
    bc = ext.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    assert ext.get_extension_for_class(x509.KeyUsage).critical
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    [dp] = ext.get_extension_for_class(x509.CRLDistributionPoints).value
    assert dp.full_name[0].value == "http://pki.uni.example.org/pki/ra-root.crl"
    [aia] = ext.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia.access_location.value == "http://pki.uni.example.org/pki/ra-root.crt"
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    root_ski = issuing_ca.root_certificate.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == root_ski.digest
    cert.verify_directly_issued_by(issuing_ca.root_certificate)


def test_refuses_to_overwrite(ca_dir, pki_base_url):
    before = (ca_dir / "root.key").read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        init_ca(ca_dir, organization="X", country="DE", pki_base_url=pki_base_url,
                key_bits=2048)
    assert (ca_dir / "root.key").read_bytes() == before


@pytest.mark.parametrize(
    "kwargs",
    [{"pki_base_url": "https://pki.uni.example.org/"}, {"pki_base_url": "pki.example.org"},
     {"name": "Bad Name"}, {"name": "same", "root_name": "same"}, {"key_bits": 1024}],
)
def test_init_rejects_bad_arguments(tmp_path, pki_base_url, kwargs):
    args = {"organization": "X", "country": "DE", "pki_base_url": pki_base_url,
            "key_bits": 2048, **kwargs}
    with pytest.raises(ValueError):
        init_ca(tmp_path / "ca", **args)
    assert not (tmp_path / "ca").exists()


def test_missing_ca(tmp_path, now):
    with pytest.raises(FileNotFoundError):
        load_ca(tmp_path)
    with pytest.raises(FileNotFoundError):
        revoke(tmp_path, 1, None, now)
    assert list(tmp_path.iterdir()) == []


def test_revoke_is_idempotent_and_written_atomically(fresh_ca, now):
    revoke(fresh_ca, 0x1234, x509.ReasonFlags.superseded, now)
    revoke(fresh_ca, 0x1234, x509.ReasonFlags.superseded, now + timedelta(hours=1))
    revoke(fresh_ca, 0x5678, None, now)
    assert load_revoked(fresh_ca) == [
        RevokedEntry(0x1234, now, x509.ReasonFlags.superseded),
        RevokedEntry(0x5678, now, None),
    ]
    assert json.loads((fresh_ca / "revoked.json").read_text())["revoked"][0]["serial"] == "1234"
    assert not [p for p in fresh_ca.iterdir() if p.name.startswith(".revoked.json")]


def test_reason_may_be_raised_to_key_compromise(fresh_ca, now):
    revoke(fresh_ca, 7, x509.ReasonFlags.superseded, now)
    revoke(fresh_ca, 7, x509.ReasonFlags.key_compromise, now + timedelta(hours=2))
    revoke(fresh_ca, 7, x509.ReasonFlags.superseded, now + timedelta(hours=3))
    assert load_revoked(fresh_ca) == [RevokedEntry(7, now, x509.ReasonFlags.key_compromise)]


def test_unspecified_becomes_no_reason_and_forbidden_reasons_refused(fresh_ca, now):
    revoke(fresh_ca, 9, x509.ReasonFlags.unspecified, now)
    assert load_revoked(fresh_ca)[0].reason is None
    for reason in (x509.ReasonFlags.certificate_hold, x509.ReasonFlags.ca_compromise):
        with pytest.raises(ValueError):
            revoke(fresh_ca, 10, reason, now)
    with pytest.raises(ValueError):
        revoke(fresh_ca, 0, None, now)
    with pytest.raises(ValueError):
        revoke(fresh_ca, 11, None, now.replace(tzinfo=None))


def test_write_crl_lists_revoked_serials(fresh_ca, now):
    ca = load_ca(fresh_ca)
    revoke(fresh_ca, 0xABCDEF, x509.ReasonFlags.key_compromise, now)
    revoke(fresh_ca, 0x123, None, now)
    der = write_crl(fresh_ca, now)
    assert (fresh_ca / "issuing.crl").read_bytes() == der
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(ca.certificate.public_key())
    assert crl.issuer == ca.certificate.subject
    assert crl.next_update_utc - crl.last_update_utc == timedelta(days=7)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    compromised = crl.get_revoked_certificate_by_serial_number(0xABCDEF)
    assert compromised.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise)
    plain = crl.get_revoked_certificate_by_serial_number(0x123)
    assert len(plain.extensions) == 0  # no reasonCode rather than "unspecified"

    root_crl = x509.load_der_x509_crl((fresh_ca / "root.crl").read_bytes())
    assert root_crl.is_signature_valid(ca.root_certificate.public_key())
    assert len(root_crl) == 0

    second = x509.load_der_x509_crl(write_crl(fresh_ca, now + timedelta(days=1)))
    assert second.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2


def test_build_crl_validates_next_update(issuing_ca, now):
    with pytest.raises(ValueError):
        build_crl(issuing_ca, [], now=now, crl_number=1, next_update_hours=11 * 24)
    crl = x509.load_der_x509_crl(build_crl(issuing_ca, [], now=now, crl_number=5))
    assert len(crl) == 0
