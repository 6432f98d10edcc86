"""Small helpers shared by the certificate and CA modules (internal)."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID

_CA_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def random_serial() -> int:
    """Positive 159-bit serial: 158 random bits, top bit set so the DER length is fixed."""
    return secrets.randbits(158) | (1 << 158)


def utc_seconds(when: datetime) -> datetime:
    """Aware UTC datetime without microseconds (certificates carry whole seconds)."""
    if when.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return when.astimezone(timezone.utc).replace(microsecond=0)


def check_ca_name(name: str) -> str:
    # the name ends up in URLs and file names
    if not isinstance(name, str) or not _CA_NAME_RE.fullmatch(name):
        raise ValueError(f"CA name {name!r}: use lower-case letters, digits and '-'")
    return name


def pki_url(base_url: str, ca_name: str, suffix: str) -> str:
    """`<base>/pki/<ca-name>.<suffix>`; the base must be a plain http URL (SBR §7.1.2.3)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"pki_base_url {base_url!r}: must be an http:// URL with a host")
    return f"{base_url.rstrip('/')}/pki/{check_ca_name(ca_name)}.{suffix}"


def crl_distribution_points(url: str) -> x509.CRLDistributionPoints:
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    return x509.CRLDistributionPoints([point])


def ca_issuers(url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                x509.UniformResourceIdentifier(url))]
    )


def authority_key_id(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    """AKI from the issuer's SKI, so both always agree."""
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write via a temp file in the same folder and os.replace, so readers never see half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@lru_cache(maxsize=16)
def _cached_private_key(path: str, mtime_ns: int, size: int):
    # Loading an RSA key checks its consistency, which takes ~0.3 s for RSA-3072/4096:
    # once per process and file version, not once per certificate or mail.
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def load_private_key_file(path: Path):
    """A PEM private key from a file, cached until the file changes."""
    stat = Path(path).stat()
    return _cached_private_key(str(path), stat.st_mtime_ns, stat.st_size)
