"""The local CA's status services: OCSP responder and CRL, checked with `openssl ocsp` and
`openssl crl` over real HTTP, and with pkilint."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from werkzeug.serving import make_server

from ra_console.jobs.sweeps import run_once
from ra_console.models import Certificate, Person
from ra_console.pki import localca
from ra_console.pki.bundles import pem_chain
from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.lint import lint_certificate, lint_crl
from ra_console.pki.ocsp import lint_response
from ra_console.usecases import certificates as certs
from ra_console.web.current import actor_for

PEM = serialization.Encoding.PEM


@pytest.fixture
def served(app, seeded, clock, tmp_path):
    """The app on a loopback port; the clock at the real time (openssl checks the
    response times against the system clock)."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed (Debian package openssl)")
    clock.now = datetime.now(timezone.utc).replace(microsecond=0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def certificate(runtime, cert_id: int) -> Certificate:
    with runtime.session() as s:
        return s.get(Certificate, cert_id)


def _files(runtime, tmp_path, cert_pem: bytes):
    ca = localca.load_ca(runtime.config["pki.local_ca_path"])
    (tmp_path / "leaf.pem").write_bytes(cert_pem)
    (tmp_path / "issuing.pem").write_bytes(ca.certificate.public_bytes(PEM))
    (tmp_path / "root.pem").write_bytes(ca.root_certificate.public_bytes(PEM))
    return ca


def _openssl_ocsp(tmp_path, url, *extra) -> str:
    result = subprocess.run(
        ["openssl", "ocsp", "-issuer", str(tmp_path / "issuing.pem"),
         "-cert", str(tmp_path / "leaf.pem"), "-CAfile", str(tmp_path / "root.pem"),
         "-url", f"{url}/pki/ocsp", "-respout", str(tmp_path / "resp.der"), *extra],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Response verify OK" in result.stderr + result.stdout
    return result.stdout


def test_ocsp_good_then_revoked_and_crl(issue_directly, app, seeded, new_csr, served, tmp_path):
    cert = certificate(seeded, issue_directly())
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [d.access_location.value for d in aia
            if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP] == [
        "http://pki.uni.example.org/pki/ocsp"]
    assert [f for f in lint_certificate(leaf.public_bytes(serialization.Encoding.DER))
            if f.severity not in ("INFO", "NOTICE")] == []
    _files(seeded, tmp_path, cert.cert_pem.encode())
    assert "leaf.pem: good" in _openssl_ocsp(tmp_path, served)
    response_der = (tmp_path / "resp.der").read_bytes()
    assert [f for f in lint_response(response_der) if f.severity not in ("INFO", "NOTICE")] \
        == []

    with seeded.session() as s:
        row = s.get(Certificate, cert.id)
        certs.revoke(s, row, actor_for(s.get(Person, row.person_id), s), "keyCompromise",
                     seeded.now())
        s.commit()
    with app.app_context():
        run_once(seeded)  # ca.revoke: register + a new CRL at once
    out = _openssl_ocsp(tmp_path, served)
    assert "leaf.pem: revoked" in out and "Reason: keyCompromise" in out
    assert [f for f in lint_response((tmp_path / "resp.der").read_bytes())
            if f.severity not in ("INFO", "NOTICE")] == []

    crl_der = app.test_client().get("/pki/ra-issuing.crl").get_data()
    (tmp_path / "crl.der").write_bytes(crl_der)
    result = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"), "-noout",
         "-text", "-CAfile", str(tmp_path / "issuing.pem")], capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 0 and "verify OK" in result.stderr + result.stdout
    assert f"SERIAL NUMBER: {cert.serial.upper()}" in result.stdout.upper()
    assert "Key Compromise" in result.stdout
    assert [f for f in lint_crl(crl_der) if f.severity not in ("INFO", "NOTICE")] == []


def test_ocsp_unknown_for_a_serial_the_ra_never_issued(app, seeded, new_csr, served,
                                                      tmp_path):
    ca = localca.load_ca(seeded.config["pki.local_ca_path"])
    csr = x509.load_pem_x509_csr(new_csr()[1])
    profile = seeded.profiles["personal"]
    stray = issue_certificate(ca, csr.public_key(), profile,
                              SubjectSpec("Nobody", "Known", None, ("nobody@uni.example.org",)),
                              pki_base_url="http://pki.uni.example.org", now=seeded.now())
    _files(seeded, tmp_path, stray.public_bytes(PEM))
    assert "leaf.pem: unknown" in _openssl_ocsp(tmp_path, served, "-no_nonce")


def test_ocsp_get_nonce_and_bad_requests(issue_directly, app, seeded, new_csr, served):
    cert = certificate(seeded, issue_directly())
    ca = localca.load_ca(seeded.config["pki.local_ca_path"])
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    request = (ocsp.OCSPRequestBuilder().add_certificate(leaf, ca.certificate, hashes.SHA1())
               .add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False).build())
    import base64

    encoded = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
    client = app.test_client()
    answer = ocsp.load_der_ocsp_response(client.get(f"/pki/ocsp/{encoded}").get_data())
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == \
        b"0123456789abcdef"
    garbage = client.post("/pki/ocsp", data=b"not der",
                          headers={"Content-Type": "application/ocsp-request"})
    assert garbage.status_code == 200
    assert ocsp.load_der_ocsp_response(garbage.get_data()).response_status == \
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def _mail_signer(runtime) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(runtime.config["mail.signing_cert"]).read_bytes())


def test_ocsp_knows_the_mail_signer_which_only_signs(app, seeded, served, tmp_path):
    signer = _mail_signer(seeded)
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_encipherment
    assert [f for f in lint_certificate(signer.public_bytes(serialization.Encoding.DER))
            if f.severity not in ("INFO", "NOTICE")] == []
    _files(seeded, tmp_path, signer.public_bytes(PEM))
    assert "leaf.pem: good" in _openssl_ocsp(tmp_path, served)


def test_renew_mail_signer_replaces_an_old_one(app, seeded, served, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from ra_console.cli.main import main

    ca = localca.load_ca(seeded.config["pki.local_ca_path"])
    old_key = serialization.load_pem_private_key(
        Path(seeded.config["mail.signing_key"]).read_bytes(), None)
    old = issue_certificate(  # as `ca init` made it before: with keyEncipherment
        ca, old_key.public_key(), dataclasses.replace(
            seeded.profiles["functional"], key_algorithms=("RSA-3072",)),
        SubjectSpec(None, None, None, ("ra-portal@uni.example.org",)),
        pki_base_url="http://pki.uni.example.org", now=seeded.now())
    Path(seeded.config["mail.signing_cert"]).write_bytes(pem_chain([old, *localca.chain_for(ca)]))
    for key in ("instance_path", "database_url", "pki.local_ca_path", "mail.signing_cert",
                "mail.signing_key"):
        monkeypatch.setenv("RA_" + key.replace(".", "_").upper(), seeded.config[key])
    renewed = CliRunner().invoke(main, ["ca", "renew-mail-signer", "--if-outdated"])
    assert renewed.exit_code == 0 and "new mail-signer certificate" in renewed.output
    new = _mail_signer(seeded)
    assert new.serial_number != old.serial_number
    assert not new.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    assert new.public_key() == serialization.load_pem_private_key(
        Path(seeded.config["mail.signing_key"]).read_bytes(), None).public_key()
    again = CliRunner().invoke(main, ["ca", "renew-mail-signer", "--if-outdated"])
    assert again.exit_code == 0 and "is current" in again.output
    _files(seeded, tmp_path, new.public_bytes(PEM))
    assert "leaf.pem: good" in _openssl_ocsp(tmp_path, served)
