"""Pieces of the CA backends without I/O: BER PKCS#7, chain order, configuration keys."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from cryptography.x509.oid import NameOID
from support import der_to_ber

from ra_console.adapters.ca import ca_type_for
from ra_console.core.config import ConfigError, load_config
from ra_console.pki.pkcs7 import BundleError, ber_to_der, load_certificates, split_leaf

NOW = datetime(2026, 11, 2, tzinfo=timezone.utc)


def _cert(name, issuer=None, ca=False):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = (issuer if issuer else (subject, key))
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW).not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))
    return cert, (subject, key)


@pytest.fixture(scope="module")
def chain():
    root, root_id = _cert("Root", ca=True)
    issuing, issuing_id = _cert("Issuing", issuer=root_id, ca=True)
    leaf, _ = _cert("Leaf", issuer=issuing_id)
    return leaf, issuing, root


@pytest.mark.parametrize("depth", [0, 1, 3, 6])
def test_ber_pkcs7_is_read_without_cryptographys_ber_fallback(chain, depth):
    der = pkcs7.serialize_certificates(list(chain), Encoding.DER)
    ber = der_to_ber(der, depth)
    assert ber_to_der(ber) == der
    assert {c.subject for c in load_certificates(ber)} == {c.subject for c in chain}


def test_pem_chain_and_pem_pkcs7(chain):
    pem = b"".join(c.public_bytes(Encoding.PEM) for c in chain)
    assert load_certificates(pem) == list(chain)
    assert len(load_certificates(pkcs7.serialize_certificates(list(chain), Encoding.PEM))) == 3


def test_garbage_is_a_bundle_error():
    for data in (b"\x30\x80\x02\x01", b"not a bundle", b"\x30\x05\x02\x01\x01"):
        with pytest.raises(BundleError):
            load_certificates(data)


def test_split_leaf_orders_the_chain(chain):
    leaf, issuing, root = chain
    assert split_leaf([root, leaf, issuing]) == (leaf, [issuing, root])
    with pytest.raises(BundleError):
        split_leaf([root, issuing])


def test_ca_type_for_profile():
    assert ca_type_for(["personal=101", "functional = 102"], "functional") == "102"
    with pytest.raises(LookupError):
        ca_type_for(["personal=101"], "functional")


def test_ca_secrets_only_from_the_environment(tmp_path):
    config = load_config(environ={"RA_INSTANCE_PATH": str(tmp_path),
                                  "RA_HARICA_API_KEY": "k", "RA_SECTIGO_CLIENT_SECRET": "s",
                                  "RA_DIRECTORY_BIND_PASSWORD": "p"})
    assert (config["harica_api_key"], config["sectigo_client_secret"],
            config["directory_bind_password"]) == ("k", "s", "p")
    site = tmp_path / "site.toml"
    site.write_text('harica_api_key = "in a file"\n')
    with pytest.raises(ConfigError, match="RA_HARICA_API_KEY"):
        load_config(environ={"RA_CONFIG": str(site), "RA_INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("text, key", [
    ('[sectigo]\nauth = "basic"\n', "sectigo.auth"),
    ('[harica]\ncert_types = ["personal"]\n', "harica.cert_types"),
    ('[sectigo]\ntimeout_seconds = 0\n', "sectigo.timeout_seconds"),
])
def test_ca_keys_are_checked(tmp_path, text, key):
    site = tmp_path / "site.toml"
    site.write_text(text)
    with pytest.raises(ConfigError, match=key):
        load_config(environ={"RA_CONFIG": str(site), "RA_INSTANCE_PATH": str(tmp_path)})
