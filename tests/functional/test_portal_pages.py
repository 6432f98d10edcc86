"""The portal's pages say what is true and always offer the next step (issue 13)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from support import institute_address

from ra_console.models import Certificate

ITC = "Erika.Mustermann@itc.uni.example.org"


def test_challenge_link_names_address_and_institute(browser, runtime):
    tokens = institute_address(runtime, "erika", ITC, confirm=False)
    url = f"/redeem/{tokens[ITC]}"
    browser.login("erika")
    page = browser.get(url).get_data(as_text=True)
    assert f"<strong>{ITC}</strong>" in page and "IT Center" in page
    assert f"Confirm that {ITC} belongs to you." in page
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    assert f"Bestätigen Sie, dass {ITC} Ihnen gehört." in browser.get(url).get_data(as_text=True)
    browser.login("max")  # the link is not max's: no address is shown to him
    assert ITC not in browser.get(url).get_data(as_text=True)


def test_empty_list_after_revoking_the_only_certificate(browser, issue_directly, runtime):
    browser.login("erika")
    assert "Request your first certificate" in browser.get("/certificates").get_data(
        as_text=True)
    cert_id = issue_directly()
    with runtime.session() as s:
        public_id = s.get(Certificate, cert_id).public_id
    browser.submit(f"/certificates/{public_id}/revoke", {"reason": "superseded"})
    page = browser.get("/certificates").get_data(as_text=True)
    assert "You have no active certificates or open requests." in page
    assert 'href="/certificates?show=all">Show revoked and expired (1)' in page
    assert "no certificates or requests yet" not in page


def test_rows_show_origin_and_key(browser, issue_directly, runtime):
    issue_directly()
    browser.login("erika")
    with runtime.session() as s:
        spki = s.exec(select(Certificate)).one().spki_sha256
    page = browser.get("/certificates").get_data(as_text=True)
    assert "uploaded CSR" in page and f">{spki[:16]}</code>" in page
    assert "_at_" not in page  # an uploaded CSR has no request file of the portal


def test_issued_page_puts_downloads_first_and_revocation_last(browser, issue_directly, runtime):
    cert_id = issue_directly()
    with runtime.session() as s:
        public_id = s.get(Certificate, cert_id).public_id
    browser.login("erika")
    page = browser.get(f"/certificates/{public_id}").get_data(as_text=True)
    assert "<h1>Certificate</h1>" in page
    order = [page.index(marker) for marker in (
        'id="downloads"', 'id="json-advice"' if 'id="p12-builder"' in page else 'id="downloads"',
        "<h2>Details</h2>", 'id="revocation"')]
    assert order == sorted(order)
    assert page.count("action-revoke") == 1
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    assert "<h1>Zertifikat</h1>" in browser.get(f"/certificates/{public_id}").get_data(
        as_text=True)


def test_renewal_inside_the_window_warns_about_two_certificates(browser, issue_directly,
                                                               runtime, clock):
    cert_id = issue_directly()
    with runtime.session() as s:
        not_after = s.get(Certificate, cert_id).not_after
    clock.now = not_after.replace(tzinfo=clock.now.tzinfo) - timedelta(days=20)
    browser.login("erika")
    page = browser.get("/certificates/new").get_data(as_text=True)
    assert "Two valid certificates for one address at the same time cause trouble" in page
    assert "Keep the old .p12 file and its password" in page


def test_request_page_names_the_network_contacts(browser, runtime):
    institute_address(runtime, "erika", ITC)
    browser.login("erika")
    page = browser.get("/certificates/new").get_data(as_text=True)
    assert 'id="network-contacts"' in page
    assert "IT Center (your institute)" in page and "nora.netz@uni.example.org" in page
    browser.login("max")  # no institute address yet: every institute's contacts, open
    page = browser.get("/certificates/new").get_data(as_text=True)
    assert "Paul Physik" in page and "(your institute)" not in page
