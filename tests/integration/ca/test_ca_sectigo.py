"""Contract tests: the Sectigo SCM connector against a fake SCM on loopback that follows
the published S/MIME API (enroll, collect with -183 while pending, list, revoke)."""

from __future__ import annotations

import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from ra_console.jobs.sweeps import drain_outbox, poll_ca
from ra_console.models import AuditEvent, OutboxMessage, Person
from ra_console.usecases import certificates as certs
from ra_console.web.current import actor_for


@pytest.fixture
def h(helpers):
    return helpers


@pytest.fixture
def config_overrides(sectigo, helpers):
    server, _ = sectigo
    return {"profiles": helpers.profiles_using("sectigo"), "sectigo.base_url": server.url,
            "sectigo.token_url": server.url + "/token", "sectigo.client_id": "ra-client",
            "sectigo_client_secret": "s3cret", "sectigo.org_id": 7,
            "sectigo.cert_types": ["personal=101", "functional=102"],
            "sectigo.timeout_seconds": 0.5}


def _calls(fake_ca, path_part):
    return [r for r in fake_ca.requests if path_part in r[1]]


def run(app, runtime, sweep=drain_outbox):
    with app.app_context():
        return sweep(runtime)


def test_happy_path(h, app, seeded, new_csr, fake_ca):
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)
    cert = h.certificate(seeded, public_id)
    assert cert.status == "issued" and cert.ca_name == "sectigo"
    [enroll] = _calls(fake_ca, "/enroll")
    method, _, headers, body = enroll
    body = json.loads(body)
    assert method == "POST" and headers["Authorization"].startswith("Bearer tok-")
    assert body["orgId"] == 7 and body["certType"] == 101 and body["term"] == 730
    assert body["email"] == cert.addresses[0] and body["firstName"] == "Erika"
    assert f"ra-request:{public_id}" in body["comments"]
    assert cert.ca_ref in fake_ca.orders
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    assert format(leaf.serial_number, "x") == cert.serial
    assert [f for f in cert.lint_findings if f["severity"] in ("FATAL", "ERROR")] == []


def test_pending_then_issued(h, app, seeded, new_csr, fake_ca, clock):
    fake_ca.pending_polls = 2  # collect answers -183 twice
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)  # enroll + first collect: not collectable
    cert = h.certificate(seeded, public_id)
    assert (cert.status, cert.cert_pem) == ("sent", None) and cert.ca_ref
    assert run(app, seeded, poll_ca) == 0  # second collect: still -183
    assert h.certificate(seeded, public_id).status == "sent"
    assert run(app, seeded, poll_ca) == 1
    assert h.certificate(seeded, public_id).status == "issued"
    assert len(_calls(fake_ca, "/enroll")) == 1


@pytest.mark.parametrize("code, words", [
    (-172, "profile"), (-188, "too many"), (None, "key size")])
def test_rejection_with_the_cas_reason(h, app, seeded, new_csr, fake_ca, code, words):
    fake_ca.refuse = code
    fake_ca.allowed_key_types = (("RSA - 2048", "RSA - 4096") if code
                                 else ("RSA - 4096",))  # None: -194 for RSA-2048
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)
    cert = h.certificate(seeded, public_id)
    assert cert.status == "rejected"
    with seeded.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == public_id,
                                                AuditEvent.trigger == "reject")).one()
    assert words in event.data["reason"] and str(code or -194) in event.data["reason"]


def test_ca_down_is_retried_by_the_outbox(h, app, seeded, new_csr, sectigo, fake_ca, clock):
    server, _ = sectigo
    server.stop()
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)
    with seeded.session() as s:
        message = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "ca.submit")).one()
        assert (message.state, message.attempts) == ("pending", 1)
        assert "CAUnavailable" in message.last_error
    assert h.certificate(seeded, public_id).status == "sent"
    fake_ca.refuse = -195  # back, but the CA itself is unavailable: still a retry
    server.start()
    clock.advance(seconds=seeded.config["jobs.backoff_seconds"])
    run(app, seeded)
    assert h.certificate(seeded, public_id).status == "sent"
    clock.advance(seconds=2 * seeded.config["jobs.backoff_seconds"])
    run(app, seeded)
    assert h.certificate(seeded, public_id).status == "issued"
    assert len(fake_ca.orders) == 1


def test_timeout_after_the_ca_accepted_gives_no_duplicate(h, app, seeded, new_csr, fake_ca,
                                                          clock):
    fake_ca.delay_seconds = 1.5  # the order is stored, the answer comes too late
    fake_ca.fail_list_after_submit = 1  # and the look-up right after fails as well
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)
    assert h.certificate(seeded, public_id).status == "sent"
    assert len(fake_ca.orders) == 1
    clock.advance(seconds=seeded.config["jobs.backoff_seconds"])
    run(app, seeded)  # the retry asks the CA first, finds the order, enrolls nothing new
    cert = h.certificate(seeded, public_id)
    assert cert.status == "issued" and cert.ca_ref == next(iter(fake_ca.orders))
    assert len(_calls(fake_ca, "/enroll")) == 1 and len(fake_ca.orders) == 1


def test_revoke(h, app, seeded, new_csr, fake_ca):
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)
    with seeded.session() as s:
        cert = s.get(type(h.certificate(seeded, public_id)), h.certificate(seeded, public_id).id)
        who = s.get(Person, cert.person_id)
        certs.revoke(s, cert, actor_for(who, s), "superseded", seeded.now())
        s.commit()
    run(app, seeded)
    order = fake_ca.orders[h.certificate(seeded, public_id).ca_ref]
    assert order["state"] == "revoked" and order["revoke"]["reasonCode"] == "4"
    assert _calls(fake_ca, "/revoke/order/")


def test_password_headers(h, app, seeded, new_csr, fake_ca, monkeypatch):
    seeded.config.update({"sectigo.auth": "password", "sectigo.login": "ra-admin",
                          "sectigo_password": "pw", "sectigo.customer_uri": "uni"})
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)
    assert h.certificate(seeded, public_id).status == "issued"
    headers = _calls(fake_ca, "/enroll")[0][2]
    assert (headers["Login"], headers["Customeruri"]) == ("ra-admin", "uni")
    assert not _calls(fake_ca, "/token")


def test_certificate_for_another_key_is_refused(h, app, seeded, new_csr, fake_ca, browser):
    fake_ca.wrong_key = True
    public_id = h.send_request(seeded, new_csr)
    run(app, seeded)
    cert = h.certificate(seeded, public_id)
    assert cert.status == "rejected" and cert.cert_pem is None and cert.serial is None
    assert "ra.key_mismatch" in [f["code"] for f in cert.lint_findings]
    with seeded.session() as s:
        alert = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail.alert")).one()
    assert alert.state == "pending" and alert.payload["kind"] == "refused"
    run(app, seeded)  # the alert mail goes to the RA admins
    with seeded.session() as s:
        assert s.get(OutboxMessage, alert.id).state == "done"
    browser.login("admin")  # the findings are on the console's certificate details
    page = browser.get(f"/console/certificates/details/?id={cert.id}")
    assert page.status_code == 200 and "ra.key_mismatch" in page.get_data(as_text=True)


def test_expired_token_is_renewed(h, app, seeded, new_csr, sectigo, fake_ca):
    _, api = sectigo
    h.send_request(seeded, new_csr)
    run(app, seeded)
    api.tokens.clear()  # the CA forgot the token: 401, then a fresh token on the retry
    public_id = h.send_request(seeded, new_csr, username="max")
    run(app, seeded)
    assert h.certificate(seeded, public_id).status == "sent"
    seeded.clock.advance(seconds=seeded.config["jobs.backoff_seconds"])
    run(app, seeded)
    assert h.certificate(seeded, public_id).status == "issued"
    assert len(_calls(fake_ca, "/token")) == 2


@pytest.mark.parametrize("curve, key_type", [(ec.SECP256R1(), "EC - P-256"),
                                             (ec.SECP384R1(), "EC - P-384")])
def test_ec_csr_is_enrolled_unchanged(h, app, seeded, new_csr, fake_ca, curve, key_type):
    public_id = h.send_request(seeded, new_csr, curve=curve)
    run(app, seeded)
    cert = h.certificate(seeded, public_id)
    assert cert.status == "issued" and cert.key_algorithm == f"EC-P{curve.key_size}"
    [enroll] = _calls(fake_ca, "/enroll")
    body = json.loads(enroll[3])
    assert body["csr"].strip() == cert.csr_pem.strip()  # the API takes the key from the CSR
    assert fake_ca.key_type(body["csr"]) == key_type
    assert "keyType" not in body and "keySize" not in body  # not enrolment fields
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    assert leaf.public_key().public_numbers() == x509.load_pem_x509_csr(
        cert.csr_pem.encode()).public_key().public_numbers()
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_agreement and not usage.key_encipherment
    assert [f for f in cert.lint_findings if f["severity"] in ("FATAL", "ERROR", "WARNING")] == []


def test_curve_outside_the_profiles_key_types_gets_minus_194(h, app, seeded, new_csr, fake_ca):
    fake_ca.allowed_key_types = ("RSA - 4096", "EC - P-256")
    public_id = h.send_request(seeded, new_csr, curve=ec.SECP384R1())
    run(app, seeded)
    assert h.certificate(seeded, public_id).status == "rejected"
    with seeded.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == public_id,
                                                AuditEvent.trigger == "reject")).one()
    assert "-194" in event.data["reason"]
