"""`ra-console p12`: a .p12 from a request file and the certificate chain, without a browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from datetime import timedelta

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from support import missing

from ra_console.cli.main import main
from ra_console.pki import requestfile as rf
from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.localca import chain_for, load_ca
from ra_console.pki.profiles import profile_from_mapping

JSON_PW = "Schlüssel-Passwort ☂"
P12_PW = "p12 Ärger 🦊"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _csr(key):
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
            .sign(key, hashes.SHA256()))


@pytest.fixture(scope="module")
def material(tmp_path_factory, ca_template):
    """A request file, its certificate chain and a second, unrelated request file."""
    folder = tmp_path_factory.mktemp("p12")
    ca = load_ca(ca_template)
    key, other = _key(), _key()
    profile = profile_from_mapping("person", {
        "validation": "sponsor", "fixed_subject": {
            "C": "DE", "O": "Example University", "organizationIdentifier": "VATDE-DE123456789"}})
    spec = SubjectSpec("Erika", "Mustermann", "Erika Mustermann",
                       ("erika.mustermann@uni.example.org",))
    leaf = issue_certificate(ca, key.public_key(), profile, spec,
                             pki_base_url="http://pki.uni.example.org/",
                             now=ca.certificate.not_valid_before_utc + timedelta(days=1))
    chain = [leaf, *chain_for(ca)]
    (folder / "chain.pem").write_bytes(b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in chain))
    for name, k in (("request.json", key), ("other.json", other)):
        (folder / name).write_text(rf.write_request_file(
            k, _csr(k), request_id=name, emails=list(spec.emails), password=JSON_PW,
            iterations=1000))
    return folder, key, chain


def run(folder, *extra, env=None, input=None):
    args = ["p12", "--request", str(folder / "request.json"), "--cert",
            str(folder / "chain.pem"), "--out", str(folder / "out.p12"), *extra]
    return CliRunner().invoke(main, args, env=env or {}, input=input)


@pytest.mark.parametrize("profile", ["compatible", "modern"])
@pytest.mark.parametrize("no_chain", [False, True])
def test_builds_both_profiles(material, profile, no_chain):
    folder, key, chain = material
    result = run(folder, "--profile", profile, *(["--no-chain"] if no_chain else []),
                 env={"RA_JSON_PASSWORD": JSON_PW, "RA_P12_PASSWORD": P12_PW})
    assert result.exit_code == 0, result.output
    assert "Erika Mustermann" in result.output
    data = (folder / "out.p12").read_bytes()
    assert stat.S_IMODE(os.stat(folder / "out.p12").st_mode) == 0o600
    loaded = pkcs12.load_pkcs12(data, P12_PW.encode("utf-8"))
    assert loaded.key.private_numbers() == key.private_numbers()
    assert loaded.cert.certificate == chain[0]
    assert loaded.cert.friendly_name == b"Erika Mustermann"
    assert [c.certificate for c in loaded.additional_certs] == ([] if no_chain else chain[1:])


def test_passwords_asked_interactively(material):
    folder, key, _chain = material
    result = run(folder, "--profile", "modern", input=f"{JSON_PW}\n{P12_PW}\n{P12_PW}\n")
    assert result.exit_code == 0, result.output
    assert JSON_PW not in result.output and P12_PW not in result.output
    loaded = pkcs12.load_pkcs12((folder / "out.p12").read_bytes(), P12_PW.encode())
    assert loaded.key.private_numbers() == key.private_numbers()


def test_same_password(material):
    folder, _key, _chain = material
    result = run(folder, "--same-password", env={"RA_JSON_PASSWORD": JSON_PW})
    assert result.exit_code == 0, result.output
    pkcs12.load_pkcs12((folder / "out.p12").read_bytes(), JSON_PW.encode())


def test_p12_passwords_are_not_configuration():
    from ra_console.core.config import load_config

    load_config(environ={"RA_JSON_PASSWORD": "x", "RA_P12_PASSWORD": "y"})


def _write(folder, name, text):
    (folder / name).write_text(text)
    return folder / name


@pytest.mark.parametrize("change, expected", [
    ({"RA_JSON_PASSWORD": "wrong"}, "Wrong password for the request file"),
    ({"request": "other.json"}, "belongs to another request"),
    ({"request": "not-json"}, "not a request file"),
    ({"request": "damaged"}, "damaged"),
    ({"request": "too-many"}, "at most 10000000 are accepted"),
    ({"cert": "no-cert"}, "No certificate found"),
    ({"request": "missing.json"}, "No such file"),
])
def test_bad_inputs(material, material_too_many, change, expected):
    folder, key, _chain = material
    good = json.loads((folder / "request.json").read_text())
    _write(folder, "not-json", "Dear RA, here is my key.")
    _write(folder, "damaged", json.dumps({**good, "spki_sha256": "ab" * 32}))
    _write(folder, "no-cert", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    _write(folder, "too-many", json.dumps({**good, "private_key": material_too_many}))
    env = {"RA_JSON_PASSWORD": JSON_PW, "RA_P12_PASSWORD": P12_PW}
    env.update({k: v for k, v in change.items() if k.startswith("RA_")})
    args = ["p12", "--request", str(folder / change.get("request", "request.json")),
            "--cert", str(folder / change.get("cert", "chain.pem")),
            "--out", str(folder / "bad.p12")]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (folder / "bad.p12").exists()


@pytest.fixture(scope="module")
def material_too_many(material):
    """The key encrypted with one iteration more than the cap (1.5 s, once)."""
    return rf.encrypt_private_key(material[1], JSON_PW, iterations=rf.MAX_ITERATIONS + 1)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(name)
    return path


def _sh(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, check=False, **kwargs)


@pytest.fixture(scope="module", params=[("sponsor", ec.SECP256R1), ("mailbox", ec.SECP384R1)],
                ids=["personal-P256", "functional-P384"])
def ec_material(request, tmp_path_factory, ca_template):
    """An EC request file and its certificate, in the personal or the functional profile."""
    validation, curve = request.param
    folder = tmp_path_factory.mktemp("p12-ec")
    ca = load_ca(ca_template)
    key = ec.generate_private_key(curve())
    fixed = {"C": "DE", "O": "Example University",
             "organizationIdentifier": "VATDE-DE123456789"} if validation == "sponsor" else {}
    profile = profile_from_mapping("p", {"validation": validation, "fixed_subject": fixed})
    spec = (SubjectSpec("Erika", "Mustermann", "Erika Mustermann",
                        ("erika.mustermann@uni.example.org",)) if validation == "sponsor"
            else SubjectSpec(None, None, None, ("it-support@uni.example.org",)))
    leaf = issue_certificate(ca, key.public_key(), profile, spec,
                             pki_base_url="http://pki.uni.example.org/",
                             now=ca.certificate.not_valid_before_utc + timedelta(days=1))
    chain = [leaf, *chain_for(ca)]
    for index, cert in enumerate(chain):
        (folder / f"cert{index}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "chain.pem").write_bytes(b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in chain))
    text = rf.write_request_file(key, _csr(key), request_id="ec", emails=list(spec.emails),
                                 password=JSON_PW, iterations=1000)
    assert json.loads(text)["key_algorithm"] == ("EC-P256" if curve is ec.SECP256R1
                                                 else "EC-P384")
    (folder / "request.json").write_text(text)
    return folder, key, chain


@pytest.mark.parametrize("profile", ["compatible", "modern"])
def test_ec_keys_in_both_profiles_open_everywhere(ec_material, profile, tmp_path):
    """Python, OpenSSL and NSS open the EC .p12; OpenSSL cms signs and encrypts with it."""
    openssl, pk12util, certutil = _tool("openssl"), _tool("pk12util"), _tool("certutil")
    folder, key, chain = ec_material
    out = tmp_path / "ec.p12"
    result = CliRunner().invoke(main, [
        "p12", "--request", str(folder / "request.json"), "--cert", str(folder / "chain.pem"),
        "--out", str(out), "--profile", profile],
        env={"RA_JSON_PASSWORD": JSON_PW, "RA_P12_PASSWORD": P12_PW})
    assert result.exit_code == 0, result.output
    loaded = pkcs12.load_pkcs12(out.read_bytes(), P12_PW.encode("utf-8"))
    assert loaded.key.private_numbers() == key.private_numbers()
    assert loaded.cert.certificate == chain[0]

    env = {"PW": P12_PW, "PATH": "/usr/bin:/bin"}
    keyfile = tmp_path / "key.pem"
    opened = _sh(openssl, "pkcs12", "-in", out, "-passin", "env:PW", "-nodes", "-nocerts",
                 "-out", keyfile, env=env)
    assert opened.returncode == 0, opened.stderr

    nss = tmp_path / "nss"
    nss.mkdir()
    assert _sh(certutil, "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
    (nss / "pw").write_text(P12_PW, encoding="utf-8")
    imported = _sh(pk12util, "-i", out, "-d", f"sql:{nss}", "-w", nss / "pw")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    keys = _sh(certutil, "-K", "-d", f"sql:{nss}").stdout.decode()
    assert re.search(r"^<\s*0> ec\s", keys, re.MULTILINE), keys  # NSS holds an EC key

    mail = tmp_path / "mail.txt"
    mail.write_text("Content-Type: text/plain\r\n\r\nGrüße mit P-256 und P-384\r\n")
    signed = _sh(openssl, "cms", "-sign", "-in", mail, "-signer", folder / "cert0.pem",
                 "-inkey", keyfile, "-certfile", folder / "cert1.pem", "-out", tmp_path / "s.eml")
    assert signed.returncode == 0, signed.stderr
    verified = _sh(openssl, "cms", "-verify", "-in", tmp_path / "s.eml",
                   "-CAfile", folder / "cert2.pem", "-purpose", "smimesign")
    assert verified.returncode == 0 and "P-256 und P-384".encode() in verified.stdout
    encrypted = _sh(openssl, "cms", "-encrypt", "-aes256", "-in", mail,
                    "-out", tmp_path / "e.eml", folder / "cert0.pem")
    assert encrypted.returncode == 0, encrypted.stderr
    decrypted = _sh(openssl, "cms", "-decrypt", "-in", tmp_path / "e.eml",
                    "-recip", folder / "cert0.pem", "-inkey", keyfile)
    assert decrypted.returncode == 0, decrypted.stderr
    assert "P-256 und P-384".encode() in decrypted.stdout
