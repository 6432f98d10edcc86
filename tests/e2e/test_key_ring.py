"""Issue 16, the key ring in Debian's Chromium: two successive certificates made in the
browser (the first RSA and revoked as superseded, the second EC), one .p12 with both keys
built on the new certificate's page from both request files. Mail encrypted to the OLD
certificate decrypts with the ring's key (OpenSSL), NSS imports both keys, a wrong password
or a foreign file is named, and neither private key leaves the browser. Screenshots go to
$RA_SCREENSHOTS (de/en, 1280/1024 px) when set; axe checks the page with several files."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlmodel import select
from support import assert_key_never_sent

from ra_console.models import Certificate
from ra_console.pki import requestfile as rf

OLD_PW = "alt: Grüße ☂ 2025"
NEW_PW = "neu: Schlüssel 🔑 2027"
P12_PW = "Ring 🦊 Ärger"
MAIL = "Content-Type: text/plain\r\n\r\nAlte Post, noch lesbar\r\n"
SHOTS = os.environ.get("RA_SCREENSHOTS")


def _row(runtime, public_id: str) -> Certificate:
    with runtime.session() as s:
        return s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()


def _issue_in_browser(portal, run_jobs, runtime, algorithm: str, password: str):
    portal.open_request_page()
    portal.fill_request(password, algorithm=algorithm)
    public_id, path = portal.generate()
    portal.page.click("#send-now button")
    portal.page.wait_for_url(f"**/certificates/{public_id}")
    run_jobs()
    row = _row(runtime, public_id)
    assert row.status == "issued"
    return row, path


def _revoke(portal, public_id: str) -> None:
    portal.page.goto(f"{portal.base}/certificates/{public_id}/revoke")
    portal.page.select_option("select[name=reason]", "superseded")
    portal.page.click("button.danger")
    portal.page.wait_for_url(f"**/certificates/{public_id}")


def _add_older(portal, path: Path, password: str) -> None:
    portal.page.set_input_files("#older-files", str(path))
    row = portal.page.locator("#ring-files li", has_text=path.name)
    row.locator("input[type=password]").fill(password)


def _answer(portal) -> str:
    """The build's final answer (an error or success line, not a progress line)."""
    portal.page.wait_for_selector("#p12-status.error, #p12-status.success")
    return portal.page.inner_text("#p12-status")


def _build(portal, name: str) -> Path:
    with portal.page.expect_download() as download:
        portal.page.click("#build-p12")
    path = portal.folder / name
    download.value.save_as(path)
    return path


def test_ring_of_two_reads_old_mail(portal, run_jobs, runtime, sh, openssl, pk12util,
                                    tmp_path, make_portal, axe):
    portal.login()
    old, old_file = _issue_in_browser(portal, run_jobs, runtime, "RSA-2048", OLD_PW)
    _revoke(portal, old.public_id)
    new, new_file = _issue_in_browser(portal, run_jobs, runtime, "EC-P256", NEW_PW)
    old, new = _row(runtime, old.public_id), _row(runtime, new.public_id)
    assert old.status == "revoked" and new.status == "issued"
    old_key = rf.decrypt_private_key(rf.read_request_file(old_file.read_bytes()), OLD_PW)
    new_key = rf.decrypt_private_key(rf.read_request_file(new_file.read_bytes()), NEW_PW)

    # the list names each certificate's request file and key fingerprint
    portal.page.goto(f"{portal.base}/certificates?show=all")
    listing = portal.page.inner_text("table.list")
    for row, path in ((old, old_file), (new, new_file)):
        assert path.name in listing and row.spki_sha256[:16] in listing

    portal.page.goto(f"{portal.base}/certificates/{new.public_id}")
    portal.page.set_input_files("#request-file", str(new_file))
    portal.page.fill("#json-password", NEW_PW)
    portal.page.uncheck("#same-password")
    portal.page.fill("#p12-password", P12_PW)
    _add_older(portal, old_file, "not the old password")
    assert old.spki_sha256[:16] in portal.page.inner_text("#ring-files")

    # a wrong password of the older file: named, nothing built, nothing lost
    portal.page.click("#build-p12")
    message = _answer(portal)
    assert f"Request file {old_file.name}: Wrong password for the request file." in message
    assert portal.page.input_value("#p12-password") == P12_PW
    assert portal.page.locator("#ring-files li").count() == 1

    # a request file of a key without a certificate of Erika's: named
    stray = ec.generate_private_key(ec.SECP256R1())
    stray_file = tmp_path / "stray.json"
    stray_file.write_text(rf.write_request_file(
        stray, _csr(stray), request_id="x", emails=["erika.mustermann@uni.example.org"],
        password=OLD_PW, iterations=1000))
    _add_older(portal, stray_file, OLD_PW)
    portal.page.locator("#ring-files li", has_text=old_file.name).locator(
        "input[type=password]").fill(OLD_PW)
    portal.page.click("#build-p12")
    message = _answer(portal)
    assert "stray.json" in message and "none of your certificates has this key" in message
    assert rf.spki_sha256_of(stray.public_key())[:16] in message
    shoot_and_sweep(portal, make_portal, axe, new.public_id, new_file, old_file, stray_file)
    portal.page.locator("#ring-files li", has_text="stray.json").locator(
        "button.remove-file").click()

    ring = _build(portal, "ring.p12")
    assert "with 2 keys was created and saved" in _answer(portal)
    assert ring.name and portal.page.is_visible("#save-p12-again")

    # Python: the current key first, each named with its validity dates
    loaded = pkcs12.load_pkcs12(ring.read_bytes(), P12_PW.encode())
    assert loaded.cert.certificate.serial_number == int(new.serial, 16)
    names = [loaded.cert.friendly_name.decode(),
             *[c.friendly_name.decode() for c in loaded.additional_certs if c.friendly_name]]
    assert names == [f"Erika Mustermann <erika.mustermann@uni.example.org> "
                     f"{r.not_before:%Y-%m-%d}\u2013{r.not_after:%Y-%m-%d}" for r in (new, old)]

    # OpenSSL: both keys; mail encrypted to the OLD certificate opens with the ring's key
    env = {"PW": P12_PW, "PATH": "/usr/bin:/bin"}
    out = sh(openssl, "pkcs12", "-in", ring, "-passin", "env:PW", "-nodes", "-nocerts", env=env)
    assert out.returncode == 0, out.stderr
    blocks = re.findall(rb"-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\n",
                        out.stdout, re.DOTALL)
    keys = [serialization.load_pem_private_key(b, None) for b in blocks]
    assert [_spki(k) for k in keys] == [new.spki_sha256, old.spki_sha256]
    (tmp_path / "old.pem").write_text(old.cert_pem)
    (tmp_path / "old-key.pem").write_bytes(blocks[1])
    (tmp_path / "mail.txt").write_text(MAIL)
    encrypted = sh(openssl, "cms", "-encrypt", "-aes256", "-in", tmp_path / "mail.txt",
                   "-out", tmp_path / "old.eml", tmp_path / "old.pem")
    assert encrypted.returncode == 0, encrypted.stderr
    decrypted = sh(openssl, "cms", "-decrypt", "-in", tmp_path / "old.eml",
                   "-recip", tmp_path / "old.pem", "-inkey", tmp_path / "old-key.pem")
    assert decrypted.returncode == 0, decrypted.stderr
    assert b"Alte Post, noch lesbar" in decrypted.stdout

    # NSS: both keys imported
    nss = tmp_path / "nss"
    nss.mkdir()
    assert sh("certutil", "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
    (nss / "pw").write_text(P12_PW, encoding="utf-8")
    imported = sh(pk12util, "-i", ring, "-d", f"sql:{nss}", "-w", nss / "pw")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listed = sh("certutil", "-K", "-d", f"sql:{nss}").stdout.decode()
    assert len(re.findall(r"^<\s*\d+>", listed, re.MULTILINE)) == 2, listed

    # neither private key left the browser; the certificates came from the person's list
    assert_key_never_sent(portal.sent, old_key)
    assert_key_never_sent(portal.sent, new_key)
    methods = {(r.method, r.url.split("?")[0].replace(portal.base, "")) for r in portal.sent}
    assert ("GET", f"/certificates/{new.public_id}/key-ring") in methods


def _spki(key) -> str:
    return rf.spki_sha256_of(key.public_key())


def _csr(key):
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
            .sign(key, hashes.SHA256()))


def shoot_and_sweep(portal, make_portal, axe, public_id, new_file, old_file, stray_file):
    """The page with several files (one refused) in both languages: axe finds nothing;
    screenshots at 1280 and 1024 px when RA_SCREENSHOTS is set."""
    for lang in ("de", "en"):
        for width in (1280, 1024):
            tab = make_portal(viewport={"width": width, "height": 900}, bypass_csp=True)
            tab.login()
            tab.page.click(f"button.link:text('{lang.upper()}')")  # the language switch
            tab.page.wait_for_selector(f"html[lang={lang}]")
            tab.page.goto(f"{tab.base}/certificates/{public_id}")
            tab.page.set_input_files("#request-file", str(new_file))
            tab.page.fill("#json-password", NEW_PW)
            tab.page.fill("#p12-password", P12_PW)
            _add_older(tab, old_file, OLD_PW)
            _add_older(tab, stray_file, OLD_PW)
            tab.page.click("#build-p12")
            assert "stray.json" in _answer(tab)
            if width == 1280:
                assert axe(tab.page) == []
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                tab.page.screenshot(path=f"{SHOTS}/key-ring-{lang}-{width}.png",
                                    full_page=True)
                tab.page.goto(f"{tab.base}/certificates?show=all")
                tab.page.screenshot(path=f"{SHOTS}/certificate-list-{lang}-{width}.png",
                                    full_page=True)
            tab.page.context.close()
