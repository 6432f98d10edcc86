"""The embedded local CA: a root and one issuing CA, state kept in one folder.

Files: ca.json (names, base URL), root.crt, root.key, issuing.crt, issuing.key,
revoked.json, issuing.crl, root.crl. Keys are unencrypted PKCS#8 PEM protected by
file permissions (0600, folder 0700).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ra_console.pki._common import (
    authority_key_id,
    ca_issuers,
    check_ca_name,
    crl_distribution_points,
    load_private_key_file,
    pki_url,
    random_serial,
    utc_seconds,
    write_atomic,
)
from ra_console.pki.profiles import POLICY_OIDS

ROOT_DAYS = 20 * 365 + 5
ISSUING_DAYS = 10 * 365 + 2
STATE_FILES = ("ca.json", "root.crt", "root.key", "issuing.crt", "issuing.key")


@dataclass(frozen=True)
class IssuingCA:
    """The issuing CA's certificate and key, plus what is needed to build URLs and chains."""

    name: str
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)
    root_certificate: x509.Certificate
    root_name: str
    pki_base_url: str


def _ca_name(organization: str, suffix: str, fallback: str) -> str:
    # CN is limited to 64 characters; long organisation names fall back to the CA name
    common_name = f"{organization} {suffix}"
    return common_name if len(common_name) <= 64 else fallback


def _subject(country: str, organization: str, common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )


def _build_root(key, subject: x509.Name, now: datetime) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(random_serial())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=ROOT_DAYS, seconds=-1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )


def _build_issuing(key, subject, root_cert, root_key, root_name, base_url, now):
    not_after = min(now + timedelta(days=ISSUING_DAYS, seconds=-1),
                    root_cert.not_valid_after_utc)
    policies = [x509.PolicyInformation(x509.ObjectIdentifier(oid), None)
                for oid in POLICY_OIDS.values()]
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(random_serial())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        # SBR §7.1.2.2: an S/MIME subordinate CA carries emailProtection in its EKU
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.CertificatePolicies(policies), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(authority_key_id(root_cert), False)
        .add_extension(crl_distribution_points(pki_url(base_url, root_name, "crl")), False)
        .add_extension(ca_issuers(pki_url(base_url, root_name, "crt")), False)
        .sign(root_key, hashes.SHA256())
    )


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_new(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never overwrite CA material, even if two processes race
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)  # the umask may have removed bits we asked for


def init_ca(
    directory: Path,
    *,
    organization: str,
    country: str,
    pki_base_url: str,
    name: str = "ra-issuing",
    root_name: str = "ra-root",
    now: datetime | None = None,
    key_bits: int = 4096,
) -> None:
    """Create a root and an issuing CA in `directory`; refuse to overwrite an existing CA."""
    directory = Path(directory)
    check_ca_name(name)
    check_ca_name(root_name)
    if name == root_name:
        raise ValueError("name and root_name must differ")
    pki_url(pki_base_url, name, "crl")  # validates the base URL early
    if key_bits not in (2048, 3072, 4096):
        raise ValueError("key_bits: must be 2048, 3072 or 4096")
    existing = [f for f in STATE_FILES if (directory / f).exists()]
    if existing:
        raise FileExistsError(
            f"a CA already exists in {directory} ({', '.join(existing)}); refusing to overwrite"
        )
    now = utc_seconds(now or datetime.now(timezone.utc))

    root_key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    root_cn = _ca_name(organization, "Root CA", root_name)
    root_cert = _build_root(root_key, _subject(country, organization, root_cn), now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    issuing_subject = _subject(country, organization, _ca_name(organization, "S/MIME CA", name))
    cert = _build_issuing(key, issuing_subject, root_cert, root_key, root_name,
                          pki_base_url, now)

    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    pem = serialization.Encoding.PEM
    _write_new(directory / "root.key", _key_pem(root_key), 0o600)
    _write_new(directory / "issuing.key", _key_pem(key), 0o600)
    _write_new(directory / "root.crt", root_cert.public_bytes(pem), 0o644)
    _write_new(directory / "issuing.crt", cert.public_bytes(pem), 0o644)
    meta = {"name": name, "root_name": root_name, "pki_base_url": pki_base_url}
    # written last: its presence marks a complete CA
    _write_new(directory / "ca.json", json.dumps(meta, indent=2).encode(), 0o644)
    write_atomic(directory / "revoked.json", b'{"crl_number": 0, "revoked": []}\n')


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    key = load_private_key_file(path)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key")
    return key


def load_ca(directory: Path) -> IssuingCA:
    """Read the issuing CA from `directory` (FileNotFoundError if it was never created);
    cached until one of its files changes (the job runner asks twice per certificate)."""
    directory = Path(directory)
    signature = tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in (
        (directory / name).stat() for name in ("ca.json", "issuing.crt", "issuing.key",
                                               "root.crt")))
    return _cached_ca(str(directory.resolve()), signature)


@lru_cache(maxsize=8)
def _cached_ca(folder: str, signature: tuple) -> IssuingCA:
    directory = Path(folder)
    meta = json.loads((directory / "ca.json").read_text())
    cert = x509.load_pem_x509_certificate((directory / "issuing.crt").read_bytes())
    key = _load_key(directory / "issuing.key")
    if cert.public_key() != key.public_key():
        raise ValueError(f"{directory}: issuing.key does not match issuing.crt")
    return IssuingCA(
        name=meta["name"],
        certificate=cert,
        private_key=key,
        root_certificate=x509.load_pem_x509_certificate((directory / "root.crt").read_bytes()),
        root_name=meta["root_name"],
        pki_base_url=meta["pki_base_url"],
    )


def load_root_key(directory: Path) -> rsa.RSAPrivateKey:
    """The root key, needed only to sign the root's CRL."""
    return _load_key(Path(directory) / "root.key")


def chain_for(ca: IssuingCA) -> list[x509.Certificate]:
    """[issuing, root], the order a chain file or PKCS#7 bundle expects."""
    return [ca.certificate, ca.root_certificate]

