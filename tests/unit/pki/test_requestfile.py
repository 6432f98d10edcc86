"""The .json request file: reading, strict format, decryption, iteration cap, PKCS#12."""

from __future__ import annotations

import base64
import json
import re
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from ra_console.pki import _der as der, requestfile as rf
from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.localca import chain_for
from ra_console.pki.profiles import profile_from_mapping

PERSON = profile_from_mapping("person", {
    "validation": "sponsor", "validity_days": 730,
    "fixed_subject": {"C": "DE", "O": "Universität Example",
                      "organizationIdentifier": "VATDE-DE123456789"}})
ANNA = SubjectSpec("Anna-Lena", "Müller", "Anna-Lena Müller", ("anna.mueller@uni.example.org",))
PASSWORD = "Grüße, 🔑 sind geheim"
FAST = 1000  # iterations for tests that do not check the default


@pytest.fixture(scope="module")
def leaf(issuing_ca, rsa2048_key, now, pki_base_url):
    return issue_certificate(issuing_ca, rsa2048_key.public_key(), PERSON, ANNA,
                             pki_base_url=pki_base_url, now=now)


@pytest.fixture(scope="module")
def chain(leaf, issuing_ca):
    return [leaf, *chain_for(issuing_ca)]


@pytest.fixture(scope="module")
def text(rsa2048_key, make_csr):
    return rf.write_request_file(rsa2048_key, make_csr(rsa2048_key), request_id="r-1",
                                 emails=list(ANNA.emails), password=PASSWORD, iterations=FAST)


def _encrypted_der(pem: str) -> bytes:
    return base64.b64decode("".join(pem.strip().splitlines()[1:-1]))


def test_default_encryption_is_the_documented_one(rsa2048_key):
    pem = rf.encrypt_private_key(rsa2048_key, PASSWORD)
    data = _encrypted_der(pem)
    assert rf.encryption_iterations(data) == 600_000
    algorithm = der.children(der.expect(der.children(der.single(data, der.SEQUENCE))[0],
                                        der.SEQUENCE))
    kdf, cipher = der.children(algorithm[1][1])
    salt, iterations, prf = der.children(der.children(kdf[1])[1][1])
    assert len(salt[1]) == 16
    assert der.decode_oid(der.children(prf[1])[0][1]) == rf.OID_HMAC_SHA256
    assert der.decode_oid(der.children(cipher[1])[0][1]) == rf.OID_AES256_CBC
    key = serialization.load_pem_private_key(pem.encode(), PASSWORD.encode("utf-8"))
    assert key.private_numbers() == rsa2048_key.private_numbers()


def test_openssl_reads_the_key(rsa2048_key, openssl, tmp_path):
    (tmp_path / "key.pem").write_text(rf.encrypt_private_key(rsa2048_key, PASSWORD,
                                                             iterations=FAST))
    out = subprocess.run([openssl, "pkey", "-in", tmp_path / "key.pem", "-passin",
                          "env:PW", "-pubout"], capture_output=True, check=True,
                         env={"PW": PASSWORD}).stdout
    assert out == rsa2048_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_read_and_decrypt(text, rsa2048_key):
    request_file = rf.read_request_file(text.encode())
    assert request_file.request_id == "r-1" and request_file.iterations == FAST
    assert request_file.emails == ANNA.emails and request_file.key_algorithm == "RSA-2048"
    key = rf.decrypt_private_key(request_file, PASSWORD)
    assert key.private_numbers() == rsa2048_key.private_numbers()
    assert "BEGIN" not in repr(request_file)


def test_wrong_password(text):
    with pytest.raises(rf.RequestFileError) as err:
        rf.decrypt_private_key(rf.read_request_file(text), "Grusse, sind geheim")
    assert err.value.code == "wrong_password"


def _changed(text: str, **fields) -> str:
    doc = json.loads(text)
    for name, value in fields.items():
        if value is None:
            doc.pop(name)
        else:
            doc[name] = value
    return json.dumps(doc)


@pytest.mark.parametrize("make, code", [
    (lambda t: "hello", "not_a_request_file"),
    (lambda t: b"\xff\xfe not utf-8", "not_a_request_file"),
    (lambda t: "[1, 2]", "not_a_request_file"),
    (lambda t: b"{" * 100_000, "not_a_request_file"),
    (lambda t: b" " * (rf.MAX_FILE_BYTES + 1), "not_a_request_file"),
    (lambda t: _changed(t, format="something-else"), "not_a_request_file"),
    (lambda t: _changed(t, version=2), "unsupported_version"),
    (lambda t: _changed(t, csr=None), "damaged"),
    (lambda t: _changed(t, emails="a@b"), "damaged"),
    (lambda t: _changed(t, csr="-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                              "-----END CERTIFICATE REQUEST-----\n"), "damaged"),
    (lambda t: _changed(t, spki_sha256="00" * 32), "damaged"),
    (lambda t: _changed(t, private_key="-----BEGIN PRIVATE KEY-----\nAA==\n"), "damaged"),
    (lambda t: _changed(t, private_key="-----BEGIN ENCRYPTED PRIVATE KEY-----\n!!!\n"
                                       "-----END ENCRYPTED PRIVATE KEY-----"), "damaged"),
    (lambda t: _changed(t, private_key="-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n"
                                       "-----END ENCRYPTED PRIVATE KEY-----"), "damaged"),
])
def test_bad_files(text, make, code):
    with pytest.raises(rf.RequestFileError) as err:
        rf.read_request_file(make(text))
    assert err.value.code == code
    assert str(err.value)  # every code has an English text


def _with_iterations(rsa2048_key, count: int) -> str:
    """A key whose header claims `count` iterations (ciphertext need not fit: never run)."""
    data = _encrypted_der(rf.encrypt_private_key(rsa2048_key, PASSWORD, iterations=FAST))
    algorithm, body = der.children(der.single(data, der.SEQUENCE))
    _pbes2, params = der.children(algorithm[1])
    kdf, cipher = der.children(params[1])
    _kdf_oid, kdf_params = der.children(kdf[1])
    salt, _count, prf = der.children(kdf_params[1])
    new = der.seq(der.seq(der.oid(rf.OID_PBES2), der.seq(
        der.seq(der.oid(rf.OID_PBKDF2), der.seq(der.octets(salt[1]), der.integer(count),
                                                 der.tlv(*prf))),
        der.tlv(*cipher))), der.tlv(*body))
    encoded = base64.b64encode(new).decode()
    return ("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
            f"{encoded}\n-----END ENCRYPTED PRIVATE KEY-----\n")


def test_iteration_cap(text, rsa2048_key):
    too_many = _changed(text, private_key=_with_iterations(rsa2048_key, rf.MAX_ITERATIONS + 1))
    with pytest.raises(rf.RequestFileError) as err:
        rf.read_request_file(too_many)
    assert err.value.code == "too_many_iterations"
    assert "10000001" in str(err.value)
    zero = _changed(text, private_key=_with_iterations(rsa2048_key, 0))
    with pytest.raises(rf.RequestFileError, match="damaged"):
        rf.read_request_file(zero)


def test_indefinite_length_is_refused(text, rsa2048_key):
    """A BER encoding (as PKI.js writes for long ciphertexts) is damaged, not guessed at."""
    data = _encrypted_der(rf.encrypt_private_key(rsa2048_key, PASSWORD, iterations=FAST))
    ber = bytes([0x30, 0x80]) + data[4:] + b"\x00\x00"
    encoded = base64.b64encode(ber).decode()
    pem = f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{encoded}\n-----END ENCRYPTED PRIVATE KEY-----"
    with pytest.raises(rf.RequestFileError) as err:
        rf.read_request_file(_changed(text, private_key=pem))
    assert err.value.code == "damaged"


@pytest.mark.parametrize("profile", rf.PROFILES)
@pytest.mark.parametrize("with_chain", [True, False])
def test_pkcs12_profiles(chain, rsa2048_key, profile, with_chain, openssl, tmp_path):
    leaf, cas = rf.split_chain(rsa2048_key, list(reversed(chain)))
    assert leaf == chain[0]
    data = rf.build_pkcs12(rsa2048_key, leaf, cas if with_chain else [], PASSWORD, profile)
    loaded = pkcs12.load_pkcs12(data, PASSWORD.encode("utf-8"))
    assert loaded.key.private_numbers() == rsa2048_key.private_numbers()
    assert loaded.cert.certificate == leaf
    assert loaded.cert.friendly_name == "Anna-Lena Müller".encode()
    assert len(loaded.additional_certs) == (2 if with_chain else 0)
    (tmp_path / "a.p12").write_bytes(data)
    info = subprocess.run([openssl, "pkcs12", "-in", tmp_path / "a.p12", "-info", "-noout",
                           "-passin", "env:PW"], capture_output=True, text=True,
                          env={"PW": PASSWORD})
    assert info.returncode == 0, info.stderr
    if profile == "compatible":
        assert "MAC: sha1" in info.stderr and "pbeWithSHA1And3-KeyTripleDES-CBC" in info.stderr
        assert "AES" not in info.stderr
    else:
        assert "MAC: sha256" in info.stderr and "AES-256-CBC" in info.stderr
    assert "Iteration 2048" in info.stderr


def test_key_of_another_request(chain, rsa2048_key_b):
    with pytest.raises(rf.RequestFileError) as err:
        rf.split_chain(rsa2048_key_b, chain)
    assert err.value.code == "key_mismatch"


def test_friendly_name_of_a_functional_mailbox(issuing_ca, rsa2048_key, now, pki_base_url):
    mailbox = profile_from_mapping("functional", {"validation": "mailbox"})
    cert = issue_certificate(issuing_ca, rsa2048_key.public_key(), mailbox,
                             SubjectSpec(None, None, None, ("support@uni.example.org",)),
                             pki_base_url=pki_base_url, now=now)
    assert rf.friendly_name(cert) == "support@uni.example.org"


@pytest.mark.parametrize("call, code", [
    (lambda c, k: rf.build_pkcs12(k, c[0], [], PASSWORD, "legacy"), "unknown_profile"),
    (lambda c, k: rf.build_pkcs12(k, c[0], [], "", "modern"), "empty_password"),
    (lambda c, k: rf.load_chain(b"no certificate here"), "not_a_certificate"),
])
def test_bad_inputs_for_pkcs12(chain, rsa2048_key, call, code):
    with pytest.raises(rf.RequestFileError) as err:
        call(chain, rsa2048_key)
    assert err.value.code == code


def test_load_chain(chain):
    assert isinstance(rf.load_chain(b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in chain))[0], x509.Certificate)


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x80\x00\x00", b"\x30\x81\x01\x00",
                                  b"\x30\x00\x00", b"\x02\x02\x00\x01", b"\x06\x02\x80\x01"])
def test_der_reader_is_strict(data):
    with pytest.raises(der.DerError):
        tag, value, _end = der.read(data)
        der.single(data, tag)
        if tag == der.INTEGER:
            der.decode_int(value)
        if tag == der.OID:
            der.decode_oid(value)


def _documented_script() -> str:
    """The OpenSSL block of docs/request-file.md, exactly as a user would paste it."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "request-file.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", doc, re.S)
    return next(b for b in blocks if "# 1. Take the encrypted private key" in b)


@pytest.mark.parametrize("curve", [None, ec.SECP256R1, ec.SECP384R1],
                         ids=["rsa", "ec-p256", "ec-p384"])
def test_documented_openssl_commands(chain, rsa2048_key, make_csr, openssl, tmp_path, curve,
                                     issuing_ca, now, pki_base_url):
    import shutil
    import sys

    key = rsa2048_key
    if curve is not None:  # the same commands for an EC key
        key = ec.generate_private_key(curve())
        chain = [issue_certificate(issuing_ca, key.public_key(), PERSON, ANNA,
                                   pki_base_url=pki_base_url, now=now), *chain_for(issuing_ca)]

    (tmp_path / "request.json").write_text(rf.write_request_file(
        key, make_csr(key), request_id="doc", emails=list(ANNA.emails),
        password=PASSWORD))
    (tmp_path / "chain.pem").write_bytes(b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in chain))
    script = _documented_script()
    if shutil.which("jq") is None:  # the python3 line right after it does the same
        script = "\n".join(line for line in script.splitlines() if not line.startswith("jq "))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    (bin_dir / "openssl").symlink_to(openssl)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                            capture_output=True, text=True, env={
                                "PATH": f"{bin_dir}:/usr/bin:/bin", "JSON_PASSWORD": PASSWORD,
                                "P12_PASSWORD": "Export-Pässwort ✉"})
    assert result.returncode == 0, result.stderr
    spki = json.loads((tmp_path / "request.json").read_text())["spki_sha256"]
    assert result.stdout.count(spki) == 2
    assert "pbeWithSHA1And3-KeyTripleDES-CBC" in result.stderr and "MAC: sha1" in result.stderr
    for name, count, aes in (("erika.p12", 2, False), ("erika-modern.p12", 2, True),
                             ("erika-cert-only.p12", 0, False)):
        data = (tmp_path / name).read_bytes()
        loaded = pkcs12.load_pkcs12(data, "Export-Pässwort ✉".encode())
        assert loaded.key.private_numbers() == key.private_numbers()
        assert loaded.cert.certificate == chain[0] and len(loaded.additional_certs) == count
        assert loaded.cert.friendly_name == b"Erika Mustermann"
        info = subprocess.run([openssl, "pkcs12", "-in", tmp_path / name, "-info", "-noout",
                               "-passin", "pass:Export-Pässwort ✉"], capture_output=True,
                              text=True).stderr
        assert ("AES-256-CBC" in info) is aes, info
