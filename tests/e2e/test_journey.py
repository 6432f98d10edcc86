"""The guide's steps 5–9 in a real browser: generate the key, save the .json, send, get the
certificate, build the .p12 in both profiles with and without the chain — and prove that the
private key never left the browser and that openssl, NSS and Python accept every file."""

from __future__ import annotations

import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlmodel import select
from support import assert_key_never_sent

from ra_console.models import Certificate
from ra_console.pki import requestfile as rf
from ra_console.pki.keys import algorithm_of

JSON_PASSWORD = "Schlüssel für Grüße 🔑 ß"
P12_PASSWORD = "Pässwörd 📨 für Thunderbird"


def check_p12(path, leaf_pem: bytes, chain_pem: bytes, key, *, with_chain: bool, sh, openssl,
              pk12util, tmp_path) -> None:
    """openssl, NSS and Python open the .p12; its key matches the certificate."""
    data = path.read_bytes()
    loaded = pkcs12.load_pkcs12(data, P12_PASSWORD.encode("utf-8"))
    leaf = x509.load_pem_x509_certificate(leaf_pem)
    assert loaded.cert.certificate == leaf
    assert loaded.key.private_numbers() == key.private_numbers()
    assert loaded.cert.friendly_name == "Erika Mustermann".encode()
    assert len(loaded.additional_certs) == (2 if with_chain else 0)

    env = {"PW": P12_PASSWORD, "PATH": "/usr/bin:/bin"}
    out = sh(openssl, "pkcs12", "-in", path, "-passin", "env:PW", "-nodes", env=env)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.count(b"BEGIN CERTIFICATE") == (3 if with_chain else 1)

    nss = tmp_path / f"nss-{path.stem}"
    nss.mkdir()
    assert sh("certutil", "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
    (nss / "pw").write_text(P12_PASSWORD, encoding="utf-8")
    imported = sh(pk12util, "-i", path, "-d", f"sql:{nss}", "-w", nss / "pw")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listing = sh("certutil", "-L", "-d", f"sql:{nss}").stdout.decode()
    assert "Erika Mustermann" in listing and "u,u,u" in listing
    keys = sh("certutil", "-K", "-d", f"sql:{nss}")
    assert b"Erika Mustermann" in keys.stdout


def smime_round_trip(p12_path, chain_pem: bytes, *, sh, openssl, tmp_path) -> None:
    """Sign → verify against the CA chain, encrypt → decrypt, with the .p12's key and cert."""
    env = {"PW": P12_PASSWORD, "PATH": "/usr/bin:/bin"}
    work = tmp_path / "smime"
    work.mkdir(parents=True)
    key = sh(openssl, "pkcs12", "-in", p12_path, "-passin", "env:PW", "-nodes", "-nocerts",
             "-out", work / "key.pem", env=env)
    assert key.returncode == 0, key.stderr
    certs = x509.load_pem_x509_certificates(chain_pem)
    (work / "leaf.pem").write_bytes(certs[0].public_bytes(serialization.Encoding.PEM))
    (work / "issuing.pem").write_bytes(certs[1].public_bytes(serialization.Encoding.PEM))
    (work / "root.pem").write_bytes(certs[2].public_bytes(serialization.Encoding.PEM))
    (work / "mail.txt").write_text("Content-Type: text/plain\r\n\r\nGrüße aus dem Browser\r\n")
    signed = sh(openssl, "cms", "-sign", "-in", work / "mail.txt", "-signer", work / "leaf.pem",
                "-inkey", work / "key.pem", "-certfile", work / "issuing.pem",
                "-out", work / "signed.eml")
    assert signed.returncode == 0, signed.stderr
    verified = sh(openssl, "cms", "-verify", "-in", work / "signed.eml", "-CAfile",
                  work / "root.pem", "-purpose", "smimesign")
    assert verified.returncode == 0, verified.stderr
    assert "Grüße aus dem Browser".encode() in verified.stdout
    encrypted = sh(openssl, "cms", "-encrypt", "-aes256", "-in", work / "mail.txt",
                   "-out", work / "encrypted.eml", work / "leaf.pem")
    assert encrypted.returncode == 0, encrypted.stderr
    decrypted = sh(openssl, "cms", "-decrypt", "-in", work / "encrypted.eml", "-recip",
                   work / "leaf.pem", "-inkey", work / "key.pem")
    assert decrypted.returncode == 0, decrypted.stderr
    assert "Grüße aus dem Browser".encode() in decrypted.stdout


def _issued(runtime, public_id: str) -> Certificate:
    with runtime.session() as s:
        return s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()


# RSA-2048 and EC-P256 run every .p12 combination; the others the modern one with chain
EVERY_COMBINATION = ("RSA-2048", "EC-P256")


@pytest.mark.parametrize("algorithm", ["RSA-2048", "RSA-4096", "RSA-3072", "EC-P256",
                                       "EC-P384"])
def test_whole_journey(portal, run_jobs, runtime, algorithm, sh, openssl, pk12util, tmp_path):
    portal.login()
    portal.open_request_page()
    portal.fill_request(JSON_PASSWORD, algorithm=algorithm)
    public_id, request_path = portal.generate()

    # the .json: documented format, the key opens with openssl and Python
    doc = json.loads(request_path.read_text())
    assert doc["format"] == "ra-console-request" and doc["version"] == 1
    assert doc["emails"] == ["erika.mustermann@uni.example.org"]
    assert doc["key_algorithm"] == algorithm
    request_file = rf.read_request_file(request_path.read_bytes())
    assert request_file.iterations == 600_000
    key = rf.decrypt_private_key(request_file, JSON_PASSWORD)
    assert algorithm_of(key.public_key()) == algorithm
    (tmp_path / "key.pem").write_text(doc["private_key"])
    pkey = sh(openssl, "pkey", "-in", tmp_path / "key.pem", "-passin", "env:PW", "-pubout",
              env={"PW": JSON_PASSWORD, "PATH": "/usr/bin:/bin"})
    assert pkey.returncode == 0, pkey.stderr
    assert pkey.stdout == key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cert_row = _issued(runtime, public_id)
    assert cert_row.origin == "browser" and cert_row.spki_sha256 == doc["spki_sha256"]
    assert cert_row.status == "requested"

    # "Antragsdatei erneut speichern": the same file again
    with portal.page.expect_download() as again:
        portal.page.click("#save-again")
    assert again.value.path().read_bytes() == request_path.read_bytes()

    # send now → sent; the jobs issue it
    portal.page.click("#send-now button")
    portal.page.wait_for_url(f"**/certificates/{public_id}")
    assert _issued(runtime, public_id).status == "sent"
    run_jobs()
    cert_row = _issued(runtime, public_id)
    assert cert_row.status == "issued"
    portal.page.goto(f"{portal.base}/certificates/{public_id}")
    assert portal.page.is_visible("#p12-form")
    chain_pem = (cert_row.cert_pem + cert_row.chain_pem).encode()

    for profile in ("compatible", "modern"):
        for with_chain in (True, False):
            if algorithm not in EVERY_COMBINATION and (profile, with_chain) != ("modern", True):
                continue
            p12 = portal.build_p12(request_path, JSON_PASSWORD, P12_PASSWORD, profile=profile,
                                   chain=with_chain)
            assert "created and saved" in portal.status_text("#p12-status")
            check_p12(p12, cert_row.cert_pem.encode(), chain_pem, key, with_chain=with_chain,
                      sh=sh, openssl=openssl, pk12util=pk12util, tmp_path=tmp_path)
            info = sh(openssl, "pkcs12", "-in", p12, "-info", "-noout", "-passin", "env:PW",
                      env={"PW": P12_PASSWORD, "PATH": "/usr/bin:/bin"}).stderr.decode()
            if profile == "compatible":
                assert "MAC: sha1" in info and "pbeWithSHA1And3-KeyTripleDES-CBC" in info
            else:
                assert "MAC: sha256" in info and "AES-256-CBC" in info and "hmacWithSHA256" in info
            assert "Iteration 2048" in info
            smime_round_trip(p12, chain_pem, sh=sh, openssl=openssl,
                             tmp_path=tmp_path / p12.stem)

    # "PKCS#12-Datei erneut speichern" offers the last file again
    with portal.page.expect_download() as again:
        portal.page.click("#save-p12-again")
    assert again.value.path().read_bytes() == p12.read_bytes()

    # the same .json password for the .p12 ("Gleiches Passwort … benutzen")
    same = portal.build_p12(request_path, JSON_PASSWORD, None, profile="compatible")
    assert pkcs12.load_pkcs12(same.read_bytes(), JSON_PASSWORD.encode()).key is not None

    assert_key_never_sent(portal.sent, key)
    methods = {(r.method, r.url.split("?")[0].replace(portal.base, "")) for r in portal.sent}
    assert ("POST", "/certificates/new/browser") in methods
    # the certificate and chain come from the person's own list (the key ring's source)
    assert ("GET", f"/certificates/{public_id}/key-ring") in methods
