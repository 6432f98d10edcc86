"""Every refused request names its real reason, in the user's language, with a link to
where the cause is dealt with (issue 13): blocking certificate, open request, pending
challenge, paused issuance, missing identity check, consents, foreign alias, wrong file."""

from __future__ import annotations

import io
import re

import pytest
from babel.dates import format_date
from sqlmodel import select
from support import institute_address

from ra_console.adapters.settings import IssuancePause
from ra_console.models import Certificate, Mailbox, Person
from ra_console.usecases.settings import set_issuance_pause
from ra_console.web.current import actor_for
from ra_console.workflow.engine import create

CONSENT = {"consent_name_and_mailbox": "y", "consent_data_processing": "y",
           "consent_directory_publication": "y"}
ERIKA = "erika.mustermann@uni.example.org"
ITC = "Erika.Mustermann@itc.uni.example.org"
ITC_ALIAS = "e.mustermann@itc.uni.example.org"


def mailboxes(browser) -> dict[str, str]:
    """address → mailbox id, as the request page offers them."""
    page = browser.get("/certificates/new").get_data(as_text=True)
    return {address: box for box, address in re.findall(
        r'name="mailbox" value="([^"]+)" data-address="([^"]+)"', page)}


def send(browser, mailbox: str | None, csr: bytes, **fields):
    data = {**CONSENT, "csr_file": (io.BytesIO(csr), "r.csr"), **fields}
    if mailbox is not None:
        data["mailbox"] = mailbox
    return browser.submit("/certificates/new", data, content_type="multipart/form-data")


def alert(response) -> tuple[str, str | None]:
    """(text, link) of the page's error."""
    match = re.search(r'class="flash error" role="alert">([^<]+)(?:<a href="([^"]+)")?',
                      response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:3000]
    return match.group(1).strip(), match.group(2)


def count(runtime) -> int:
    with runtime.session() as s:
        return len(s.exec(select(Certificate)).all())


@pytest.fixture
def erika(browser):
    browser.login("erika")
    return browser


def test_aliases_belong_to_their_mailbox(erika, runtime, new_csr):
    """The bug that blocked real users: another address with an institute alias ticked."""
    institute_address(runtime, "erika", ITC, (ITC_ALIAS,))
    boxes = mailboxes(erika)
    page = erika.get("/certificates/new").get_data(as_text=True)
    itc = boxes[ITC.lower()]
    assert f'name="aliases-{itc}" value="{ITC_ALIAS}"' in page
    assert 'name="aliases"' not in page
    # the browser sends every ticked box; only the chosen mailbox's aliases count
    created = send(erika, boxes[ERIKA], new_csr()[1], **{f"aliases-{itc}": ITC_ALIAS})
    assert created.status_code == 302, alert(created)
    with_alias = send(erika, itc, new_csr()[1], **{f"aliases-{itc}": ITC_ALIAS})
    assert with_alias.status_code == 302, alert(with_alias)
    with runtime.session() as s:
        assert {tuple(c.addresses) for c in s.exec(select(Certificate)).all()} == {
            (ERIKA,), (ITC.lower(), ITC_ALIAS)}


def test_without_the_alias_and_a_foreign_alias(erika, runtime, new_csr):
    institute_address(runtime, "erika", ITC, (ITC_ALIAS,))
    boxes = mailboxes(erika)
    itc = boxes[ITC.lower()]
    foreign = send(erika, boxes[ERIKA], new_csr()[1], **{f"aliases-{boxes[ERIKA]}": ITC_ALIAS})
    assert alert(foreign)[0] == (f"{ITC_ALIAS} is not an alias of {ERIKA}. Only the aliases "
                                 "listed under the chosen address can go into its certificate.")
    assert count(runtime) == 0
    assert send(erika, itc, new_csr()[1]).status_code == 302  # no alias ticked
    with runtime.session() as s:
        assert s.exec(select(Certificate)).one().addresses == [ITC.lower()]


def test_blocking_certificate(erika, runtime, new_csr, issue_directly):
    cert_id = issue_directly()
    with runtime.session() as s:
        blocking = s.get(Certificate, cert_id)
        until, public_id = format_date(blocking.not_after, locale="en"), blocking.public_id
    page = erika.get("/certificates/new").get_data(as_text=True)
    assert 'data-reason="valid_certificate"' in page
    assert f'href="/certificates/{public_id}">Open the certificate (you can revoke it' in page
    assert re.search(r'<button type="submit" id="upload" disabled>', page)
    box = mailboxes(erika)[ERIKA]
    for mailbox in (box, None):  # chosen anyway, or nothing chosen (the radio is disabled)
        text, link = alert(send(erika, mailbox, new_csr()[1]))
        assert f"certificate valid until {until}" in text and "less than 28 days" in text
        assert link == f"/certificates/{public_id}"
    erika.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    text, _link = alert(send(erika, box, new_csr()[1]))
    assert "weniger als 28 Tage" in text


def test_unsent_request_blocks_a_second_one(erika, runtime, new_csr):
    first = send(erika, mailboxes(erika)[ERIKA], new_csr()[1])
    public_id = first.headers["Location"].rsplit("/", 1)[-1]
    text, link = alert(send(erika, mailboxes(erika)[ERIKA], new_csr()[1]))
    assert text.startswith(f"You already have an open request for {ERIKA} from 2026-")
    assert "send or delete it" in text and link == f"/certificates/{public_id}"
    assert count(runtime) == 1


def test_open_request_at_the_ca(erika, runtime, new_csr):
    first = send(erika, mailboxes(erika)[ERIKA], new_csr()[1])
    erika.submit(first.headers["Location"] + "/submit")
    text, link = alert(send(erika, mailboxes(erika)[ERIKA], new_csr()[1]))
    assert "is being processed" in text and link == first.headers["Location"]


def test_pending_challenge(erika, runtime, new_csr):
    institute_address(runtime, "erika", ITC, confirm=False)
    page = erika.get("/certificates/new").get_data(as_text=True)
    assert 'id="pending-addresses"' in page and ITC in page
    with runtime.session() as s:
        pending = s.exec(select(Mailbox).where(Mailbox.status == "pending_challenge")).one()
    text, link = alert(send(erika, pending.public_id, new_csr()[1]))
    assert text == (f"{ITC} is not confirmed yet: follow the link in the challenge e-mail "
                    "sent to it, then request the certificate.")
    assert link == "/certificates"


def test_missing_consents_are_named(erika, runtime, new_csr):
    response = send(erika, mailboxes(erika)[ERIKA], new_csr()[1],
                    consent_directory_publication="", consent_name_and_mailbox="")
    assert alert(response)[0] == ("Please give all three consents (missing: name and mailbox "
                                  "access, publication in the directory).")


def test_identity_check_needed_links_to_the_check(browser, runtime, new_csr):
    browser.login("gast")
    page = browser.get("/certificates/new").get_data(as_text=True)
    assert re.search(r'<a class="button" href="/identity">Start the identity verification</a>',
                     page)
    text, link = alert(send(browser, "x", new_csr()[1]))
    assert "identity must be verified in person" in text and link == "/identity"


def test_paused_issuance_is_said_when_sending(browser, runtime, new_csr):
    with runtime.session() as s:
        admin = s.exec(select(Person).where(Person.username == "admin")).one()
        set_issuance_pause(s, actor_for(admin, s), IssuancePause(True, "Wartung", "Maintenance"),
                           runtime.now())
        s.commit()
    browser.login("erika")
    created = send(browser, mailboxes(browser)[ERIKA], new_csr()[1])
    confirm = browser.get(created.headers["Location"] + "/submit").get_data(as_text=True)
    assert 'id="paused-note"' in confirm
    shown = browser.submit(created.headers["Location"] + "/submit", follow_redirects=True)
    assert "Issuance is paused for maintenance: your request is kept" in shown.get_data(
        as_text=True)


def test_sending_twice_says_it_was_sent(erika, runtime, new_csr):
    created = send(erika, mailboxes(erika)[ERIKA], new_csr()[1])
    url = created.headers["Location"]
    assert erika.submit(url + "/submit").status_code == 302
    again = erika.get(url + "/submit", follow_redirects=True).get_data(as_text=True)
    assert "This request was already sent; its status is: Sent, not issued." in again
    erika.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    again = erika.get(url + "/delete", follow_redirects=True).get_data(as_text=True)
    assert ("Nur noch nicht gesendete Anträge können gelöscht werden; sein Status: Gesendet, "
            "nicht ausgestellt.") in again


def test_a_second_unsent_request_says_why_it_cannot_be_sent(erika, runtime, new_csr):
    """Two drafts made at the same moment: once one is sent, the other explains its missing
    send button instead of losing it silently."""
    first = send(erika, mailboxes(erika)[ERIKA], new_csr()[1])
    with runtime.session() as s:  # a second draft, as two requests at once could make
        person = s.exec(select(Person).where(Person.username == "erika")).one()
        draft = s.exec(select(Certificate)).one()
        twin = Certificate(person_id=person.id, mailbox_id=draft.mailbox_id,
                           profile=draft.profile, addresses=draft.addresses,
                           subject=draft.subject, key_algorithm=draft.key_algorithm,
                           csr_pem=draft.csr_pem, spki_sha256="0" * 64)
        create(s, twin, actor_for(person, s))
        s.commit()
        second_id = twin.public_id
    assert "action-submit" in erika.get(f"/certificates/{second_id}").get_data(as_text=True)
    assert erika.submit(first.headers["Location"] + "/submit").status_code == 302
    page = erika.get(f"/certificates/{second_id}").get_data(as_text=True)
    assert 'id="send-refused"' in page and "is being processed" in page
    assert f'href="{first.headers["Location"]}"' in page
    assert "action-submit" not in page and "action-delete" in page
    refused = erika.get(f"/certificates/{second_id}/submit", follow_redirects=True)
    assert f"Your request for {ERIKA} from " in refused.get_data(as_text=True)
