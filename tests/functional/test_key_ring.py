"""The key ring's server side (issue 16): the person's own certificates for the browser,
which request file belongs to which certificate, and the reminder to keep old files."""

from __future__ import annotations

import email
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from ra_console.jobs.lifecycle import send_expiry_reminders
from ra_console.jobs.sweeps import drain_outbox
from ra_console.models import Certificate

ERIKA = "erika.mustermann@uni.example.org"


def _row(runtime, cert_id) -> Certificate:
    with runtime.session() as s:
        return s.get(Certificate, cert_id)


def _as_browser_key(runtime, cert_id) -> Certificate:
    """What a key made in the browser looks like to the server (only the origin differs)."""
    with runtime.session() as s:
        row = s.get(Certificate, cert_id)
        row.origin = "browser"
        s.add(row)
        s.commit()
        s.refresh(row)
        return row


def _two_successive(browser, issue_directly, runtime):
    """Erika's first certificate, revoked as superseded, and its successor."""
    old = _row(runtime, issue_directly(address=ERIKA))
    browser.login("erika")
    browser.submit(f"/certificates/{old.public_id}/revoke", {"reason": "superseded"})
    new = _row(runtime, issue_directly(address=ERIKA))
    return _row(runtime, old.id), new


def test_ring_lists_own_certificates_revoked_too_this_one_first(browser, issue_directly,
                                                                runtime):
    old, new = _two_successive(browser, issue_directly, runtime)
    assert old.status == "revoked" and new.status == "issued"
    for current, other in ((new, old), (old, new)):
        answer = browser.get(f"/certificates/{current.public_id}/key-ring")
        assert answer.status_code == 200 and answer.is_json
        listed = answer.get_json()["certificates"]
        assert [c["public_id"] for c in listed] == [current.public_id, other.public_id]
        assert listed[0]["pem"] == current.cert_pem + current.chain_pem
        assert all("PRIVATE" not in c["pem"] for c in listed)


def test_ring_is_scoped_to_the_signed_in_person(browser, issue_directly, runtime):
    erika = _row(runtime, issue_directly(address=ERIKA))
    browser.login("max")
    assert browser.get(f"/certificates/{erika.public_id}/key-ring").status_code == 404
    max_cert = _row(runtime, issue_directly(username="max"))
    listed = browser.get(f"/certificates/{max_cert.public_id}/key-ring").get_json()
    assert [c["public_id"] for c in listed["certificates"]] == [max_cert.public_id]
    browser.logout()
    anonymous = browser.get(f"/certificates/{max_cert.public_id}/key-ring")
    assert anonymous.status_code in (302, 401) and b"BEGIN CERTIFICATE" not in anonymous.data


def test_list_names_request_file_and_fingerprint(browser, issue_directly, runtime, clock):
    row = _as_browser_key(runtime, issue_directly(address=ERIKA))
    name = f"erika.mustermann_at_uni.example.org_{row.public_id[:8]}.json"
    browser.login("erika")
    page = browser.get("/certificates").get_data(as_text=True)
    shown = name.replace("_", "_<wbr>")  # break points for narrow screens
    assert f'<span class="request-file">{shown}</span>' in page
    assert f">{row.spki_sha256[:16]}</code>" in page
    assert 'id="keep-files"' in page and "keep-file warning" not in page
    answer = browser.get(f"/certificates/{row.public_id}/key-ring").get_json()
    assert answer["certificates"][0]["request_file"] == name
    # inside the renewal window: keep this file
    clock.now = row.not_after.replace(tzinfo=clock.now.tzinfo) - timedelta(days=10)
    page = browser.get("/certificates").get_data(as_text=True)
    assert "Expires soon. Keep this request file and its password" in page
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    page = browser.get("/certificates").get_data(as_text=True)
    assert "Antragsdatei" in page and "Schlüsselbund" in page


def test_p12_page_offers_older_files(browser, issue_directly, runtime):
    row = _as_browser_key(runtime, issue_directly(address=ERIKA))
    browser.login("erika")
    page = browser.get(f"/certificates/{row.public_id}").get_data(as_text=True)
    assert 'id="older-files"' in page and "multiple" in page
    assert f'data-ring-url="/certificates/{row.public_id}/key-ring"' in page


def test_expiry_reminder_names_the_request_file(app, issue_directly, seeded, clock):
    row = _as_browser_key(seeded, issue_directly(address=ERIKA))
    clock.now = row.not_after.replace(tzinfo=clock.now.tzinfo) - timedelta(days=13)
    assert send_expiry_reminders(seeded) == 1
    with app.app_context():
        drain_outbox(seeded)
    folder = Path(seeded.config["instance_path"]) / "mail"
    mails = [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
    reminder = next(m for m in mails if "expires in" in m["Subject"]
                    or "läuft in" in m["Subject"])
    body = next(p.get_payload(decode=True).decode() for p in reminder.walk()
                if p.get_content_type() == "text/plain")
    assert f"erika.mustermann_at_uni.example.org_{row.public_id[:8]}.json" in body
    assert row.spki_sha256[:16] in body
    with seeded.session() as s:
        assert s.exec(select(Certificate).where(Certificate.id == row.id)).one()
