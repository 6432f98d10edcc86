"""Helpers shared by tests in different folders (importable from any test:
pyproject.toml puts tests/ on pytest's pythonpath)."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from cryptography.hazmat.primitives import serialization
from sqlmodel import select

from ra_console.adapters.challenges import token_for
from ra_console.core.config import load_config
from ra_console.models import (
    AuditEvent,
    Certificate,
    Challenge,
    Institute,
    Mailbox,
    MailboxAddress,
    Person,
)
from ra_console.usecases.addresses import MailboxInput, add_mailbox, redeem, send_challenge
from ra_console.usecases.api_tokens import SCOPES, issue as issue_token
from ra_console.usecases.requests import create_request
from ra_console.web.current import actor_for
from ra_console.workflow.engine import fire

# Under CI a missing component fails the test that needs it; locally it skips.
REQUIRE_ALL = os.environ.get("CI") == "true" or os.environ.get("RA_REQUIRE_ALL") == "1"


def holder_with_mailbox(session, username: str = "holder") -> tuple[int, int]:
    """A person ("holder") and their verified personal mailbox, flushed: (person id,
    mailbox id), for certificates made directly in a test."""
    person = Person(username=username, given_name="H", surname="Older")
    session.add(person)
    session.flush()
    mailbox = Mailbox(owner_id=person.id, source="idm", kind="personal", status="verified",
                      display_name="H Older")
    session.add(mailbox)
    session.flush()
    return person.id, mailbox.id


def missing(component: str) -> None:
    """Skip locally, fail under CI: a missing component never hides work there."""
    if REQUIRE_ALL:
        pytest.fail(f"{component} is required under CI")
    pytest.skip(f"{component} not available")


def der_to_ber(data: bytes, depth: int = 3) -> bytes:
    """Re-encode the outer constructed values with indefinite lengths (as some CAs do);
    the certificates inside stay DER."""
    out, offset = b"", 0
    while offset < len(data):
        start, tag, first = offset, data[offset], data[offset + 1]
        offset += 2
        length = first
        if first & 0x80:
            count = first & 0x7F
            length = int.from_bytes(data[offset:offset + count], "big")
            offset += count
        value, offset = data[offset:offset + length], offset + length
        if tag & 0x20 and depth > 0:
            out += bytes([tag, 0x80]) + der_to_ber(value, depth - 1) + b"\0\0"
        else:
            out += data[start:offset]
    return out


def institute_address(runtime, username: str, primary: str, aliases: tuple[str, ...] = (),
                      *, confirm: bool = True) -> dict[str, str]:
    """Give `username` an IT Center address as its network contact (nk-itc) does: add the
    row, send the challenges and, with confirm, follow every link. Returns address → token."""
    def person(s, name):
        return s.exec(select(Person).where(Person.username == name)).one()

    with runtime.session() as s:
        contact = actor_for(person(s, "nk-itc"), s)
        institute = s.exec(select(Institute).where(Institute.code == "ITC")).one()
        mailbox = add_mailbox(s, contact, institute,
                              MailboxInput(primary=primary, aliases=aliases, username=username),
                              max_aliases=5)
        send_challenge(s, mailbox, contact)
        tokens = {address: token_for(runtime.config["secret_key"], nonce) for address, nonce in
                  s.exec(select(MailboxAddress.display, Challenge.nonce).join(
                      Challenge, Challenge.address_id == MailboxAddress.id).where(
                      MailboxAddress.mailbox_id == mailbox.id)).all()}
        s.commit()
    if confirm:
        with runtime.session() as s:
            owner = actor_for(person(s, username), s)
            for token in tokens.values():
                redeem(s, owner, token, runtime.now())
            s.commit()
    return tokens


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def key_encodings(key) -> dict[str, bytes]:
    """The private key in every encoding we can think of, as byte patterns to search for."""
    none = serialization.NoEncryption()
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, none)
    pkcs1 = key.private_bytes(serialization.Encoding.DER,
                              serialization.PrivateFormat.TraditionalOpenSSL, none)
    numbers = key.private_numbers()
    found = {"pkcs8 der": pkcs8, "pkcs1 der": pkcs1}  # for EC: SEC 1 ECPrivateKey
    for name, der in (("pkcs8", pkcs8), ("pkcs1", pkcs1)):
        b64 = base64.b64encode(der).decode()
        found[f"{name} base64"] = b64.encode()
        found[f"{name} base64 pem line"] = b64[64:128].encode()
        found[f"{name} base64url"] = _b64url(der).encode()
        found[f"{name} hex"] = der.hex().encode()
        found[f"{name} HEX"] = der.hex().upper().encode()
    secrets = ("d", "p", "q", "dmp1", "dmq1", "iqmp") if hasattr(numbers, "p") else (
        "private_value",)  # EC: the scalar (JWK "d")
    for field in secrets:
        value = _int_bytes(getattr(numbers, field))
        found[f"jwk {field}"] = _b64url(value).encode()
        found[f"raw {field}"] = value
        found[f"hex {field}"] = value.hex().encode()
        found[f"decimal {field}"] = str(getattr(numbers, field)).encode()
    return found


def assert_key_never_sent(sent, key) -> None:
    patterns = key_encodings(key)
    assert sent, "no request captured"
    for request in sent:
        haystacks = [request.url.encode(), json.dumps(request.headers).encode(), request.body]
        haystacks += [unquote_to_bytes(h) for h in haystacks]
        for name, pattern in patterns.items():
            for haystack in haystacks:
                assert pattern not in haystack, f"{name} of the private key in {request.url}"
        assert b"PRIVATE KEY" not in request.body



def assert_revoked_by_key_holder(runtime, cert, sent, key):
    """After revocation by proof of key possession: the certificate is revoked for key
    compromise by its key holder (audited), the one POST to /pki/revoke names the key's
    fingerprint, and the key never left the browser. Returns that POST."""
    with runtime.session() as s:
        row = s.get(Certificate, cert.id)
        assert row.status == "revoked" and row.revocation_reason == "keyCompromise"
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == cert.public_id,
                                                AuditEvent.trigger == "revoke")).one()
        assert event.role == "key_holder"
    [post] = [r for r in sent if r.method == "POST"]
    assert post.url.endswith("/pki/revoke") and cert.spki_sha256.encode() in post.body
    assert_key_never_sent(sent, key)
    return post

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """The test client plus what a browser does: keep the CSRF token of the last page."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def token(self, url: str) -> str:
        page = self.client.get(url)
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url} ({page.status_code})"
        return match.group(1)

    def submit(self, form_url: str, data: dict | None = None, action: str | None = None,
               **kwargs):
        """GET the form page, then POST to its action with its CSRF token."""
        payload = {"csrf_token": self.token(form_url), **(data or {})}
        return self.client.post(action or form_url, data=payload, **kwargs)

    def logout(self):
        return self.submit("/certificates", action="/logout")

    def login(self, username: str):
        if self.client.get("/login").status_code == 302:  # someone is signed in
            self.logout()
        response = self.submit("/login", {"username": username}, action="/login/dev")
        assert response.status_code == 302, response.get_data(as_text=True)
        return response


def api_token(runtime, username: str, scopes: tuple[str, ...] | None = None,
              days: int = 30) -> str:
    """An API token of `username` (every role they hold unless `scopes`), as the portal's
    token page issues it; returns the secret."""
    with runtime.session() as s:
        actor = actor_for(s.exec(select(Person).where(Person.username == username)).one(), s)
        wanted = list(scopes) if scopes else [r for r in SCOPES if actor.has_role(r)]
        _token, secret = issue_token(s, actor, name=f"{username}-test", scopes=wanted, days=days,
                               now=runtime.now())
        s.commit()
    return secret


def make_config(tmp_path: Path, db_url: str, ca_dir: Path, **overrides) -> dict:
    values = {
        "instance_path": str(tmp_path / "instance"), "database_url": db_url, "demo": True,
        "auth.mode": "dev", "mail.catcher": True, "pki.local_ca_path": str(ca_dir),
        "public_base_url": "http://portal.uni.example.org",
        "mail.signing_cert": str(ca_dir.parent / "mail-signer.crt"),
        "mail.signing_key": str(ca_dir.parent / "mail-signer.key"),
        # tests sign in many times a minute; tests/functional/test_limits.py sets limits
        "limits.sign_in": "", "limits.redeem": "", "limits.challenge_per_user": "",
        "limits.challenge_per_row": "", "limits.identity_code": "", "limits.revoke_by_key": "", "limits.problem_report": "",
        # statement counts must not depend on how long a test runs (a TTL that runs out
        # mid-test adds a query); tests of the refresh set their own TTL or clock
        "settings_cache_seconds": 3600,
        # no background check of the runners' heartbeats after requests (a thread per app
        # touching the database); tests/integration/test_ops_alerts.py turns it on
        "alerts.web_check_seconds": 0,
    }
    values.update(overrides)
    return load_config(environ={}, overrides=values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_problem_report(runtime, cert_id: int, kind: str = "key_compromise") -> int:
    """A problem report about certificate `cert_id`, as the public form opens it; its id."""
    from ra_console.models import Certificate
    from ra_console.usecases.problem_reports import ReportInput, open_report

    with runtime.session() as s:
        cert = s.get(Certificate, cert_id)
        report = open_report(s, runtime, ReportInput(
            serial=cert.serial, certificate_file=b"", email="finder@example.net", kind=kind,
            description="Found the key on a paste site.", lang="en"), "127.0.0.1")
        s.commit()
        return report.id


CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}


def person(s, username: str) -> Person:
    return s.exec(select(Person).where(Person.username == username)).one()


def extra_mailbox(s, owner: Person, n: int, now) -> Mailbox:
    """A verified institute mailbox of `owner` (address <username>.extra<n>@uni.example.org)."""
    mailbox = Mailbox(owner_id=owner.id, source="institute", kind="personal", status="verified",
                      display_name=f"{owner.given_name} {owner.surname}")
    s.add(mailbox)
    s.flush()
    address = f"{owner.username}.extra{n}@uni.example.org"
    s.add(MailboxAddress(mailbox_id=mailbox.id, address=address, display=address,
                         is_primary=True, verified_at=now, method="challenge"))
    s.flush()
    return mailbox


def send_requests(runtime, count: int, new_csr, username: str = "erika") -> list[int]:
    """`count` requests of `username` (demo data) in `sent`, each with its ca.submit
    outbox message."""
    ids = []
    with runtime.session() as s:
        who = person(s, username)
        start = s.exec(select(Mailbox.id).order_by(Mailbox.id.desc())).first() or 0
        for i in range(count):
            mailbox = extra_mailbox(s, who, start + i, runtime.now())
            cert = create_request(s, runtime, actor_for(who, s), who,
                                  mailbox_public_id=mailbox.public_id, aliases=[],
                                  csr=new_csr()[1], consents=CONSENTS)
            fire(s, cert, "submit", actor_for(who, s))
            ids.append(cert.id)
        s.commit()
    return ids
