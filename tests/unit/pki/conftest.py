"""Shared fixtures for the PKI unit tests.

RSA key generation is slow, so keys and the local CA are session-scoped.
Helpers are exposed as fixtures (not imported) so any pytest import mode works.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from support import missing

PKI_BASE_URL = "http://pki.uni.example.org/"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _make_csr(key, common_name: str = "Alice Example") -> x509.CertificateSigningRequest:
    """A CSR as a browser would send it (subject is ignored by the RA)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def _openssl_path() -> str:
    """Path of the openssl binary; skip without it, but fail under CI=true."""
    path = shutil.which("openssl")
    if path:
        return path
    missing("the openssl binary")


@pytest.fixture(scope="session")
def make_csr():
    return _make_csr


@pytest.fixture(scope="session")
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def pki_base_url() -> str:
    return PKI_BASE_URL


@pytest.fixture
def openssl() -> str:
    return _openssl_path()


@pytest.fixture(scope="session")
def rsa2048_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa2048_key_b():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ca_dir(tmp_path_factory):
    from ra_console.pki.localca import init_ca

    directory = tmp_path_factory.mktemp("ca") / "state"
    init_ca(
        directory,
        organization="Universität Example",
        country="DE",
        pki_base_url=PKI_BASE_URL,
        now=NOW,
        key_bits=2048,
    )
    return directory


@pytest.fixture(scope="session")
def issuing_ca(ca_dir):
    from ra_console.pki.localca import load_ca

    return load_ca(ca_dir)
