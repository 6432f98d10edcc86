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
           "days": 14, "revoke_on": "2026-11-07", "why": "address_deactivated",
           "revocation_reason": "cessationOfOperation",
           # issuance_lost (the local CA's register)
           "subject": "CN=Erika Mustermann", "spki_sha256": "ab" * 32, "profile": "personal",
           # admin alerts: sign_in_refused, removals_paused
           "missing": "email, surname", "at": "2026-11-02 09:00 UTC", "what": "persons",
           "count": 40, "total": 120, "percent": 10,
           # operations alerts: outbox_dead, runner_silent, crl_expiring
           "id": 17, "attempts": 8, "error": "SMTPServerDisconnected", "runner": "ra1:4242",
           "seen": "2026-11-02 08:40 UTC", "minutes": 20, "crl": "issuing.crl",
           "next_update": "2026-11-04 09:00 UTC", "hours": 48}
# alerts to the RA admins about many people at once: no one address in the subject
ADMIN_ALERTS = {"sign_in_refused": "email, surname", "ldap_entries_refused": "email, surname", "removals_paused": "40",
                "outbox_dead": "17", "runner_silent": "ra1:4242", "crl_expiring": "48"}


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
