"""`ra-console p12` with several request files: one .p12 key ring that still reads mail
encrypted to the old certificate (issue 16). Judges: OpenSSL (pkcs12, cms) and NSS."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID
from support import missing

from ra_console.cli.main import main
from ra_console.pki import keyring, requestfile as rf
from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.localca import chain_for, load_ca
from ra_console.pki.profiles import profile_from_mapping

OLD_PW, NEW_PW = "alt: Grüße ☂", "neu: Schlüssel 🔑"
P12_PW = "Ring 🦊 Ärger"
MAIL = "Content-Type: text/plain\r\n\r\nAlte Post, noch lesbar\r\n"
KEYS = {"RSA": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "P256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "P384": lambda: ec.generate_private_key(ec.SECP384R1())}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(name)
    return path


def _sh(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, check=False, **kwargs)


def _csr(key):
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
            .sign(key, hashes.SHA256()))


def _pem(*certs) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@pytest.fixture(scope="module", params=[("RSA", "P256"), ("P384", "RSA")],
            ids=["old-RSA-new-P256", "old-P384-new-RSA"])
def two(request, tmp_path_factory, ca_template):
    """Two successive certificates of Erika from the local CA (the second a year later),
    each with its request file and its own password."""
    old_kind, new_kind = request.param
    folder = tmp_path_factory.mktemp("ring")
    ca = load_ca(ca_template)
    profile = profile_from_mapping("person", {
        "validation": "sponsor", "fixed_subject": {
            "C": "DE", "O": "Example University", "organizationIdentifier": "VATDE-DE123456789"}})
    spec = SubjectSpec("Erika", "Mustermann", "Erika Mustermann",
                       ("erika.mustermann@uni.example.org",))
    start = ca.certificate.not_valid_before_utc + timedelta(days=1)
    made = {}
    for name, kind, when, password in (("old", old_kind, start, OLD_PW),
                                       ("new", new_kind, start + timedelta(days=365), NEW_PW)):
        key = KEYS[kind]()
        cert = issue_certificate(ca, key.public_key(), profile, spec,
                                 pki_base_url="http://pki.uni.example.org/", now=when)
        (folder / f"{name}.json").write_text(rf.write_request_file(
            key, _csr(key), request_id=name, emails=list(spec.emails), password=password,
            iterations=1000))
        (folder / f"{name}-leaf.pem").write_bytes(_pem(cert))
        made[name] = (key, cert)
    chain = chain_for(ca)
    (folder / "old-chain.pem").write_bytes(_pem(made["old"][1], *chain))
    # the new one as the portal's PKCS#7 bundle: both formats are read
    (folder / "new.p7b").write_bytes(pkcs7.serialize_certificates(
        [made["new"][1], *chain], serialization.Encoding.DER))
    return folder, made, chain


def _ring(folder, out, *extra, requests=("new.json", "old.json"), passwords=(NEW_PW, OLD_PW)):
    args = ["p12", *[a for r in requests for a in ("--request", str(folder / r))],
            "--cert", str(folder / "old-chain.pem"), "--cert", str(folder / "new.p7b"),
            "--out", str(out), *extra]
    return CliRunner().invoke(main, args, env={"RA_P12_PASSWORD": P12_PW},
                              input="".join(f"{p}\n" for p in passwords))


def _keys_of(out, openssl, tmp_path) -> list:
    """Every private key OpenSSL finds in the .p12, in file order."""
    text = _sh(openssl, "pkcs12", "-in", out, "-passin", "env:PW", "-nodes", "-nocerts",
               env={"PW": P12_PW, "PATH": "/usr/bin:/bin"})
    assert text.returncode == 0, text.stderr
    blocks = re.findall(rb"-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\n",
                        text.stdout, re.DOTALL)
    return [serialization.load_pem_private_key(b, None) for b in blocks]


def _same(a, b) -> bool:
    der = serialization.PublicFormat.SubjectPublicKeyInfo
    return (a.public_bytes(serialization.Encoding.DER, der)
            == b.public_bytes(serialization.Encoding.DER, der))


@pytest.mark.parametrize("profile", ["compatible", "modern"])
def test_ring_reads_mail_to_the_old_certificate(two, profile, tmp_path):
    openssl, pk12util, certutil = _tool("openssl"), _tool("pk12util"), _tool("certutil")
    folder, made, chain = two
    (old_key, old_cert), (new_key, new_cert) = made["old"], made["new"]
    out = tmp_path / "ring.p12"
    # the old file first on the command line: the ring still puts the current key first
    result = _ring(folder, out, "--profile", profile, requests=("old.json", "new.json"),
                   passwords=(OLD_PW, NEW_PW))
    assert result.exit_code == 0, result.output
    assert "key ring with 2 keys" in result.output
    names = [keyring.dated_name(new_cert), keyring.dated_name(old_cert)]
    assert names[0].startswith("Erika Mustermann <erika.mustermann@uni.example.org> ")
    assert re.search(r" \d{4}-\d\d-\d\d\u2013\d{4}-\d\d-\d\d$", names[0])
    assert result.output.index(names[0]) < result.output.index(names[1])

    # both keys, current first; the chain once
    keys = _keys_of(out, openssl, tmp_path)
    assert len(keys) == 2
    assert _same(keys[0].public_key(), new_key.public_key())
    assert _same(keys[1].public_key(), old_key.public_key())
    certs = _sh(openssl, "pkcs12", "-in", out, "-passin", "env:PW", "-nokeys",
                env={"PW": P12_PW, "PATH": "/usr/bin:/bin"})
    assert certs.stdout.count(b"BEGIN CERTIFICATE") == 2 + len(chain)

    # mail encrypted to the OLD certificate opens with the ring's key for it
    (tmp_path / "mail.txt").write_text(MAIL)
    encrypted = _sh(openssl, "cms", "-encrypt", "-aes256", "-in", tmp_path / "mail.txt",
                    "-out", tmp_path / "old.eml", folder / "old-leaf.pem")
    assert encrypted.returncode == 0, encrypted.stderr
    (tmp_path / "old-key.pem").write_bytes(keys[1].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    decrypted = _sh(openssl, "cms", "-decrypt", "-in", tmp_path / "old.eml",
                    "-recip", folder / "old-leaf.pem", "-inkey", tmp_path / "old-key.pem")
    assert decrypted.returncode == 0, decrypted.stderr
    assert b"Alte Post, noch lesbar" in decrypted.stdout

    # NSS imports both keys with their certificates
    nss = tmp_path / "nss"
    nss.mkdir()
    assert _sh(certutil, "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
    (nss / "pw").write_text(P12_PW, encoding="utf-8")
    imported = _sh(pk12util, "-i", out, "-d", f"sql:{nss}", "-w", nss / "pw")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listing = _sh(certutil, "-K", "-d", f"sql:{nss}").stdout.decode()
    assert len(re.findall(r"^<\s*\d+>", listing, re.MULTILINE)) == 2, listing
    assert "Erika Mustermann" in _sh(certutil, "-L", "-d", f"sql:{nss}").stdout.decode()


def test_wrong_password_of_one_file_names_it(two, tmp_path):
    folder, _made, _chain = two
    out = tmp_path / "bad.p12"
    result = _ring(folder, out, passwords=(NEW_PW, "not the old password"))
    assert result.exit_code == 1, result.output
    assert f"{folder / 'old.json'}: Wrong password for the request file" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_file_without_certificate_is_named(two, tmp_path):
    folder, made, _chain = two
    out = tmp_path / "bad.p12"
    args = ["p12", "--request", str(folder / "new.json"), "--request", str(folder / "old.json"),
            "--cert", str(folder / "new.p7b"), "--out", str(out)]
    result = CliRunner().invoke(main, args, env={"RA_P12_PASSWORD": P12_PW},
                                input=f"{NEW_PW}\n{OLD_PW}\n")
    assert result.exit_code == 1, result.output
    fingerprint = rf.spki_sha256_of(made["old"][0].public_key())[:16]
    assert str(folder / "old.json") in result.output and fingerprint in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_one_file_keeps_its_plain_name(two, tmp_path):
    """One --request among several certificates: the key's own certificate, the old name."""
    folder, made, _chain = two
    out = tmp_path / "one.p12"
    result = _ring(folder, out, requests=("old.json",), passwords=(OLD_PW,))
    assert result.exit_code == 0, result.output
    loaded = pkcs12.load_pkcs12(out.read_bytes(), P12_PW.encode())
    assert loaded.cert.certificate == made["old"][1]
    assert loaded.cert.friendly_name == b"Erika Mustermann"


def test_suggested_file_name_is_the_browsers():
    assert keyring.suggested_file_name("erika.mustermann@uni.example.org",
                                       "6ceae060-9396-4d4b-807a-05abe7f49010") == (
        "erika.mustermann_at_uni.example.org_6ceae060.json")
    assert keyring.suggested_file_name("jörg+x@uni.example.org", "abcdef12-0") == (
        "j_rg_x_at_uni.example.org_abcdef12.json")
    assert keyring.short_fingerprint("76BC45D37D9892A53891") == "76bc45d37d9892a5"
