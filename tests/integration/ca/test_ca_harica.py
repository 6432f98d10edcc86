"""Contract tests: the HARICA CM connector against a fake CM on loopback (API key, bulk
S/MIME creation answering with a ZIP holding a BER-encoded .p7b, entries, revocation)."""

from __future__ import annotations

import csv
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from ra_console.jobs.sweeps import drain_outbox, poll_ca
from ra_console.models import AuditEvent, Certificate, OutboxMessage, Person
from ra_console.usecases import certificates as certs
from ra_console.web.current import actor_for


@pytest.fixture
def config_overrides(harica, helpers):
    server, api = harica
    return {"profiles": helpers.profiles_using("harica"), "harica.base_url": server.url,
            "harica_api_key": api.KEY, "harica.organization_id": api.ORG,
            "harica.timeout_seconds": 0.5}


def run(app, runtime, sweep=drain_outbox):
    with app.app_context():
        return sweep(runtime)


def creates(fake_ca):
    return [r for r in fake_ca.requests if r[1] == "/cm/v1/bulk/create/smime"]


def test_happy_path_ber_p7b_in_a_zip(helpers, app, seeded, new_csr, fake_ca):
    public_id = helpers.send_request(seeded, new_csr)
    run(app, seeded)
    cert = helpers.certificate(seeded, public_id)
    assert cert.status == "issued" and cert.ca_name == "harica"
    entry, _, item = cert.ca_ref.partition("/")  # found by the friendly name
    assert item in fake_ca.orders and entry.startswith("bulk-")
    [(method, _, headers, body)] = creates(fake_ca)
    assert method == "POST" and headers["X-Api-Key"] == "harica-key-1"
    assert headers["Content-Type"].startswith("multipart/form-data")
    csv_part = body.split(b"text/csv\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0].decode()
    header, row = list(csv.reader(io.StringIO(csv_part)))
    assert header[:2] == ["FriendlyName", "Email"] and header[-2:] == ["CertType", "CSR"]
    assert row[0] == f"ra-request:{public_id}" and row[1] == cert.addresses[0]
    assert row[4:6] == ["Erika", "Mustermann"] and row[7] == "natural_legal_lcp"
    assert len(cert.chain_pem.split("BEGIN CERTIFICATE")) == 3  # issuing CA + root


def test_pending_then_issued(helpers, app, seeded, new_csr, harica, fake_ca):
    _, api = harica
    api.approval = True  # the enterprise requires an approver: no .p7b in the ZIP yet
    public_id = helpers.send_request(seeded, new_csr)
    run(app, seeded)
    cert = helpers.certificate(seeded, public_id)
    assert (cert.status, cert.cert_pem) == ("sent", None)
    assert cert.ca_ref.partition("/")[2] in fake_ca.orders
    assert run(app, seeded, poll_ca) == 0
    api.approve_all()
    assert run(app, seeded, poll_ca) == 1
    assert helpers.certificate(seeded, public_id).status == "issued"
    assert len(creates(fake_ca)) == 1


def test_rejection_with_the_cas_reason(helpers, app, seeded, new_csr, fake_ca):
    fake_ca.allowed_key_types = ("RSA - 4096",)
    public_id = helpers.send_request(seeded, new_csr)  # RSA-2048
    run(app, seeded)
    assert helpers.certificate(seeded, public_id).status == "rejected"
    with seeded.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == public_id,
                                                AuditEvent.trigger == "reject")).one()
    assert "key size of the CSR is not allowed" in event.data["reason"]


def test_ca_down_is_retried(helpers, app, seeded, new_csr, harica, fake_ca, clock):
    server, _ = harica
    server.stop()
    public_id = helpers.send_request(seeded, new_csr)
    run(app, seeded)
    with seeded.session() as s:
        message = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "ca.submit")).one()
        assert message.attempts == 1 and "CAUnavailable" in message.last_error
    server.start()
    clock.advance(seconds=seeded.config["jobs.backoff_seconds"])
    run(app, seeded)
    assert helpers.certificate(seeded, public_id).status == "issued"


def test_timeout_after_the_ca_accepted_gives_no_duplicate(helpers, app, seeded, new_csr,
                                                          fake_ca, clock):
    fake_ca.delay_seconds = 1.5
    fake_ca.fail_list_after_submit = 1
    public_id = helpers.send_request(seeded, new_csr)
    run(app, seeded)
    assert helpers.certificate(seeded, public_id).status == "sent"
    clock.advance(seconds=seeded.config["jobs.backoff_seconds"])
    run(app, seeded)
    cert = helpers.certificate(seeded, public_id)
    assert cert.status == "issued"
    assert len(creates(fake_ca)) == 1 and len(fake_ca.orders) == 1


def test_revoke(helpers, app, seeded, new_csr, fake_ca):
    public_id = helpers.send_request(seeded, new_csr)
    run(app, seeded)
    with seeded.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        who = s.get(Person, cert.person_id)
        certs.revoke(s, cert, actor_for(who, s), "keyCompromise", seeded.now())
        s.commit()
        ref = cert.ca_ref.partition("/")[2]
    run(app, seeded)
    item = fake_ca.orders[ref]
    assert item["status"] == "Revoked" and item["revoke"]["name"] == "keyCompromise"


def test_wrong_api_key_is_visible_and_retried(helpers, app, seeded, new_csr, fake_ca):
    seeded.config["harica_api_key"] = "wrong"
    seeded.services.clear()
    public_id = helpers.send_request(seeded, new_csr)
    run(app, seeded)
    with seeded.session() as s:
        message = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "ca.submit")).one()
    assert "API key refused" in message.last_error
    assert helpers.certificate(seeded, public_id).status == "sent"


def test_revoke_by_serial_when_the_reference_is_unknown(helpers, app, seeded, new_csr,
                                                        fake_ca):
    public_id = helpers.send_request(seeded, new_csr)
    run(app, seeded)
    with seeded.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        item = cert.ca_ref.partition("/")[2]
        cert.ca_ref = None  # e.g. the look-up after the ZIP answer failed
        certs.revoke(s, cert, actor_for(s.get(Person, cert.person_id), s), "superseded",
                     seeded.now())
        s.commit()
    run(app, seeded)
    assert fake_ca.orders[item]["status"] == "Revoked"


@pytest.mark.parametrize("curve, key_type", [(ec.SECP256R1(), "EC - P-256"),
                                             (ec.SECP384R1(), "EC - P-384")])
def test_ec_csr_goes_into_the_csv_unchanged(helpers, app, seeded, new_csr, fake_ca, curve,
                                            key_type):
    public_id = helpers.send_request(seeded, new_csr, curve=curve)
    run(app, seeded)
    cert = helpers.certificate(seeded, public_id)
    assert cert.status == "issued" and cert.key_algorithm == f"EC-P{curve.key_size}"
    [(_, _, _, body)] = creates(fake_ca)
    csv_part = body.split(b"text/csv\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0].decode()
    _header, row = list(csv.reader(io.StringIO(csv_part)))
    assert row[-1] == cert.csr_pem.strip() and fake_ca.key_type(row[-1]) == key_type
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_agreement and not usage.key_encipherment
    assert [f for f in cert.lint_findings if f["severity"] in ("FATAL", "ERROR", "WARNING")] == []


def test_curve_the_ca_does_not_offer_is_rejected_with_its_reason(helpers, app, seeded, new_csr,
                                                                 fake_ca):
    fake_ca.allowed_key_types = ("RSA - 4096", "EC - P-256")
    public_id = helpers.send_request(seeded, new_csr, curve=ec.SECP384R1())
    run(app, seeded)
    assert helpers.certificate(seeded, public_id).status == "rejected"
