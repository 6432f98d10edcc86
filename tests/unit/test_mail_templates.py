"""Every mail template renders in German and English; a missing variable is an error."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from ra_console.adapters.mail import render, template_names

CONTEXT = {"name": "Erika Mustermann", "address": "erika@uni.example.org",
           "addresses": "erika@uni.example.org", "link": "https://ra.example.org/c/1",
           "not_after": "2028-11-01", "serial": "1a2b", "reason": "superseded",
           "username": "erika", "expires": "2026-11-28 09:00 UTC",
           "certificates": "- 1a2b (erika@uni.example.org, 2028-11-01)",
           "renew_link": "https://ra.example.org/certificates/new",
           # certificate_check_failed (alerts to the RA admins)
           "kind": "refused", "problems": "- FATAL ra.key_mismatch: different key",
           "ca": "sectigo", "ca_ref": "1001",
           # expiry_reminder, offboarding_notice
           "days": 14, "request_file": "erika_at_uni.example.org_6ceae060.json",
           "fingerprint": "76bc45d37d9892a5", "revoke_on": "2026-11-07", "why": "address_deactivated",
           "revocation_reason": "cessationOfOperation",
           # issuance_lost (the local CA's register)
           "subject": "CN=Erika Mustermann", "spki_sha256": "ab" * 32, "profile": "personal",
           # admin alerts: sign_in_refused, removals_paused
           "missing": "email, surname", "at": "2026-11-02 09:00 UTC", "what": "persons",
           "count": 40, "total": 120, "percent": 10,
           # operations alerts: outbox_dead, runner_silent, crl_expiring
           "id": 17, "attempts": 8, "error": "SMTPServerDisconnected", "runner": "ra1:4242",
           "seen": "2026-11-02 08:40 UTC", "minutes": 20, "crl": "issuing.crl",
           "next_update": "2026-11-04 09:00 UTC", "hours": 48,
           # weekly_digest (network contacts)
           "week": "2026-W49", "institutes": [{
               "name_de": "Physik", "name_en": "Physics", "code": "PHYS", "waiting": 2,
               "waiting_since": "2026-11-20 09:00", "waiting_days": 9, "unanswered_week": 1,
               "expiring_30": 3, "expiring_60": 4, "revocations_scheduled": 1}],
           # problem reports: reminder to the RA admins, conclusion to reporter and holder
           "due": "2026-11-03 09:00 UTC", "to": "reporter", "reported": "2026-11-02 09:00 UTC",
           "conclusion": "The key was published; revoked.", "revoked": True}
# alerts to the RA admins about many people at once: no one address in the subject
ADMIN_ALERTS = {"sign_in_refused": "email, surname",
                "ldap_entries_refused": "email, surname", "removals_paused": "40",
                "outbox_dead": "17", "runner_silent": "ra1:4242", "crl_expiring": "48",
                "weekly_digest": "2026-W49", "problem_report_reminder": "1a2b",
                "problem_report_conclusion": "1a2b"}


@pytest.mark.parametrize("name", template_names())
@pytest.mark.parametrize("lang", ["de", "en"])
def test_renders(name, lang):
    mail = render(name, [lang], CONTEXT)
    assert mail.subject.startswith("[RA-Portal]")
    assert ADMIN_ALERTS.get(name, "erika@uni.example.org") in mail.subject
    assert "https://ra.example.org/" in mail.body


def test_both_languages_when_unknown():
    mail = render("certificate_issued", ["de", "en"], CONTEXT)
    assert "Zertifikat ausgestellt" in mail.subject and "Certificate issued" in mail.subject
    assert "Ihr Zertifikat" in mail.body and "your certificate" in mail.body


def test_missing_variable_is_an_error():
    with pytest.raises(UndefinedError):
        render("certificate_revoked", ["en"], {k: v for k, v in CONTEXT.items() if k != "serial"})


@pytest.mark.parametrize("lang, words", [("en", "Keep its request file"),
                                         ("de", "Behalten Sie die Antragsdatei")])
def test_expiry_reminder_names_the_request_file(lang, words):
    body = render("expiry_reminder", [lang], CONTEXT).body
    assert words in body and "erika_at_uni.example.org_6ceae060.json" in body
    assert "76bc45d37d9892a5" in body
    uploaded = render("expiry_reminder", [lang], {**CONTEXT, "request_file": ""}).body
    assert "6ceae060.json" not in uploaded and "76bc45d37d9892a5" in uploaded


@pytest.mark.parametrize("to", ["reporter", "subscriber"])
def test_problem_report_conclusion_speaks_to_each_recipient(to):
    mail = render("problem_report_conclusion", ["de"], {**CONTEXT, "to": to, "revoked": False})
    assert ("haben Sie ein Problem" in mail.body) == (to == "reporter")
    assert "Das Zertifikat wurde nicht widerrufen." in mail.body
