"""Fake HARICA CM and Sectigo SCM servers on loopback (real sockets, werkzeug), following
the published APIs closely enough for contract tests, and issuing real certificates with
the local CA code. Plus helpers to send a request through the RA.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import shutil
import threading
import time
import zipfile
from dataclasses import dataclass, field

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from sqlmodel import select
from support import der_to_ber
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ra_console.core.config import load_config
from ra_console.models import Certificate, Mailbox, Person
from ra_console.pki import localca
from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.profiles import CertificateProfile
from ra_console.usecases.requests import create_request
from ra_console.web.current import actor_for
from ra_console.workflow.engine import fire

PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER
CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}
SPONSOR = (("O", "Example University"), ("organizationIdentifier", "VATDE-DE123456789"),
           ("C", "DE"))


class FakeServer:
    """A WSGI app on 127.0.0.1, on a free port, in a thread; stop() and start() again on the
    same port (for "CA down")."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = None
        self.start()

    def start(self):
        if self.server is None:
            self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.server = None


@dataclass
class FakeCA:
    """The CA behind a fake API: issues real certificates with the local CA code."""

    folder: object
    clock: object
    requests: list = field(default_factory=list)  # (method, path, headers, body) seen
    orders: dict = field(default_factory=dict)
    pending_polls: int = 0  # answers "not collectable" this many times, then issues
    delay_seconds: float = 0  # hold the answer of the next submit this long (after storing)
    fail_list: int = 0  # the next N listings answer 503
    fail_list_after_submit: int = 0  # ... armed once the next order is stored
    wrong_key: bool = False  # certify a different key than the CSR's
    refuse: int | None = None  # Sectigo error code for the next enroll
    # in the published API's notation (Sectigo's certificate profile "keyTypes", an issued
    # certificate's "keyType": "RSA - 2048", "EC - P-256")
    allowed_key_types: tuple = ("RSA - 2048", "RSA - 3072", "RSA - 4096", "EC - P-256",
                                "EC - P-384")
    ids: itertools.count = field(default_factory=lambda: itertools.count(1001))

    def issue(self, csr_pem: str, spec: SubjectSpec, validation: str, days: int):
        ca = localca.load_ca(self.folder)
        key = x509.load_pem_x509_csr(csr_pem.encode()).public_key()
        if self.wrong_key:  # EC: made at once (an RSA key took longer than the 0.5 s timeout)
            key = ec.generate_private_key(ec.SECP256R1()).public_key()
        profile = CertificateProfile(name="fake", validation=validation,
                                     fixed_subject=SPONSOR if validation == "sponsor" else (),
                                     validity_days=min(days, 825),
                                     key_algorithms=("RSA-2048", "RSA-3072", "RSA-4096",
                                                     "EC-P256", "EC-P384"))
        cert = issue_certificate(ca, key, profile, spec, pki_base_url="http://pki.uni.example.org",
                                 now=self.clock())
        return [cert, *localca.chain_for(ca)]

    def key_type(self, csr_pem: str) -> str:
        key = x509.load_pem_x509_csr(csr_pem.encode()).public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            return f"EC - P-{key.curve.key_size}"
        return f"RSA - {key.key_size}"

    def hold(self):
        self.fail_list += self.fail_list_after_submit
        self.fail_list_after_submit = 0
        if self.delay_seconds:
            delay, self.delay_seconds = self.delay_seconds, 0
            time.sleep(delay)

    def record(self, request: Request):
        self.requests.append((request.method, request.path, dict(request.headers),
                              request.get_data()))


def _json(data, status=200):
    import json

    return Response(json.dumps(data), status=status, mimetype="application/json")


# --- Sectigo SCM -----------------------------------------------------------------------
class SectigoApp:
    """/api/smime/v2 (enroll, collect, list, revoke) plus an OAuth2 token endpoint."""

    CLIENT = ("ra-client", "s3cret")
    LEGACY = {"login": "ra-admin", "password": "pw", "customerUri": "uni"}

    def __init__(self, ca: FakeCA):
        self.ca, self.tokens = ca, set()

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            self.ca.record(request)
            return self.route(request)(environ, start_response)
        finally:
            request.close()  # uploaded files live in spooled temp files

    def authorised(self, request: Request) -> bool:
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer ") and bearer[7:] in self.tokens:
            return True
        return all(request.headers.get(k) == v for k, v in self.LEGACY.items())

    def route(self, request: Request) -> Response:
        path, ca = request.path, self.ca
        if path == "/token" and request.method == "POST":
            form = request.form
            if (form.get("grant_type") != "client_credentials"
                    or (form.get("client_id"), form.get("client_secret")) != self.CLIENT):
                return _json({"error": "invalid_client"}, 401)
            token = f"tok-{next(ca.ids)}"
            self.tokens.add(token)
            return _json({"access_token": token, "expires_in": 300, "token_type": "Bearer"})
        if not self.authorised(request):
            return _json({"code": -16, "description": "Unauthorized"}, 401)
        if path == "/api/smime/v2/enroll" and request.method == "POST":
            return self.enroll(request.get_json())
        if path.startswith("/api/smime/v2/collect/"):
            return self.collect(path.rsplit("/", 1)[1], request.args.get("format", "base64"))
        if path == "/api/smime/v2" and request.method == "GET":
            if ca.fail_list:
                ca.fail_list -= 1
                return _json({"code": -1, "description": "internal error"}, 503)
            email = request.args.get("email", "").lower()
            return _json([{"id": int(o["id"]), "state": o["state"], "backendCertId": o["id"],
                           "serialNumber": o.get("serial"), "comments": o["comments"]}
                          for o in ca.orders.values() if o["email"].lower() == email])
        if path.startswith("/api/smime/v2/revoke/") and request.method == "POST":
            return self.revoke(path, request.get_json(silent=True) or {})
        return _json({"code": -1, "description": "not found"}, 404)

    def enroll(self, body: dict) -> Response:
        ca = self.ca
        for key in ("orgId", "certType", "csr", "email", "term"):
            if key not in body:
                return _json({"code": -105, "description": f"'{key}' is missing"}, 400)
        if not isinstance(body["orgId"], int) or not isinstance(body["certType"], int):
            return _json({"code": -105, "description": "orgId/certType must be numbers"}, 400)
        if ca.refuse:
            code, ca.refuse = ca.refuse, None
            return _json({"code": code, "description": {
                -172: "Invalid certificate profile.", -188: "Too many valid certificates.",
                -195: "CA is unavailable."}.get(code, "refused")}, 400)
        if body["certType"] not in (101, 102):
            return _json({"code": -172, "description": "Invalid certificate profile."}, 400)
        if ca.key_type(body["csr"]) not in ca.allowed_key_types:
            return _json({"code": -194, "description": "Unsupported key size."}, 400)
        order_id = str(next(ca.ids))
        ca.orders[order_id] = {"id": order_id, "state": "requested", "body": body,
                               "email": body["email"], "comments": body.get("comments", ""),
                               "polls_left": ca.pending_polls, "certs": None}
        ca.hold()
        return _json({"orderNumber": int(order_id), "backendCertId": order_id})

    def _issue(self, order: dict) -> None:
        body = order["body"]
        personal = body["certType"] == 101
        spec = SubjectSpec(
            given_name=body.get("firstName") if personal else None,
            surname=body.get("lastName") if personal else None,
            common_name=body.get("commonName") if personal else None,
            emails=(body["email"], *body.get("secondaryEmails", [])))
        order["certs"] = self.ca.issue(body["csr"], spec, "sponsor" if personal else "mailbox",
                                       body["term"])
        order["state"] = "issued"
        order["serial"] = format(order["certs"][0].serial_number, "X")

    def collect(self, order_id: str, fmt: str) -> Response:
        order = self.ca.orders.get(order_id)
        if order is None:
            return _json({"code": -1, "description": "Certificate not found"}, 400)
        if order["state"] == "requested":
            if order["polls_left"] > 0:
                order["polls_left"] -= 1
                return _json({"code": -183, "description": "Certificate is not collectable."},
                             400)
            self._issue(order)
        certs = order["certs"]
        if fmt == "x509":
            data = b"".join(c.public_bytes(PEM) for c in certs)
        elif fmt == "x509CO":
            data = certs[0].public_bytes(PEM)
        elif fmt == "bin":
            data = der_to_ber(pkcs7.serialize_certificates(certs, DER))
        else:
            data = pkcs7.serialize_certificates(certs, PEM)
        return Response(data, mimetype="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename={order_id}"})

    def revoke(self, path: str, body: dict) -> Response:
        if body.get("reasonCode") not in ("0", "1", "3", "4", "5"):
            return _json({"code": -105, "description": "invalid reasonCode"}, 400)
        kind, key = path.split("/")[-2:]
        order = next((o for o in self.ca.orders.values()
                      if (kind == "order" and o["id"] == key)
                      or (kind == "serial" and (o.get("serial") or "").lower() == key.lower())),
                     None)
        if order is None or order["state"] != "issued":
            return _json({"code": -1, "description": "Certificate not found"}, 400)
        order["state"], order["revoke"] = "revoked", body
        return Response(status=204)


# --- HARICA CM --------------------------------------------------------------------------
class HaricaApp:
    """API-key endpoints: enterprises, bulk S/MIME creation (ZIP with a BER .p7b), the bulk
    entries and their certificates, revocation."""

    KEY, ORG = "harica-key-1", "org-42"
    COLUMNS = ["FriendlyName", "Email", "Email2", "Email3", "GivenName", "Surname",
               "PickupPassword", "CertType", "CSR"]

    def __init__(self, ca: FakeCA):
        self.ca, self.approval = ca, False
        self.entries: list[dict] = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            self.ca.record(request)
            return self.route(request)(environ, start_response)
        finally:
            request.close()  # uploaded files live in spooled temp files

    def route(self, request: Request) -> Response:
        if request.headers.get("X-API-Key") != self.KEY:
            return _json({"message": "Invalid API key"}, 401)
        path = request.path
        if path == "/cm/v1/admin/enterprises":
            return _json([{"id": "ent-1", "organizationId": self.ORG,
                           "name": "Example University"}])
        if path == "/cm/v1/bulk/create/smime" and request.method == "POST":
            return self.create(request)
        if path == "/api/OrganizationAdmin/GetBulkCertificateEntries":
            if self.ca.fail_list:
                self.ca.fail_list -= 1
                return _json({"message": "temporarily unavailable"}, 503)
            return _json([{k: e[k] for k in ("id", "userEmail", "createdAt")}
                          for e in self.entries])
        if path == "/api/OrganizationAdmin/GetBulkCertificatesOfAnEntry":
            entry = next((e for e in self.entries if e["id"] == request.get_json()["id"]), None)
            if entry is None:
                return _json({"message": "not found"}, 404)
            return _json([self.view(item) for item in entry["certificates"]])
        if path == "/api/OrganizationAdmin/RevokeBulkCertificate":
            body = request.get_json()
            for entry in self.entries:
                for item in entry["certificates"]:
                    if item["id"] == body.get("transactionId") and item["status"] == "Valid":
                        item["status"], item["revoke"] = "Revoked", body
                        return Response(status=204)
            return _json({"message": "transaction not found"}, 400)
        return _json({"message": "not found"}, 404)

    def create(self, request: Request) -> Response:
        if request.form.get("Value") != self.ORG or "File" not in request.files:
            return _json({"message": "Value (organization id) and File are required"}, 400)
        rows = list(csv.reader(io.StringIO(request.files["File"].read().decode())))
        if rows[0] != self.COLUMNS or len(rows) != 2:
            return _json({"message": "CSV columns do not match the template"}, 400)
        row = dict(zip(self.COLUMNS, rows[1], strict=True))
        if row["CertType"] not in ("email_only", "natural_legal_lcp"):
            return _json({"message": f"Invalid CertType {row['CertType']}"}, 400)
        if self.ca.key_type(row["CSR"]) not in self.ca.allowed_key_types:
            return _json({"message": "The key size of the CSR is not allowed"}, 400)
        personal = row["CertType"] == "natural_legal_lcp"
        emails = tuple(e for e in (row["Email"], row["Email2"], row["Email3"]) if e)
        item = {"id": f"tx-{next(self.ca.ids)}", "friendlyName": row["FriendlyName"],
                "status": "Pending" if self.approval else "Valid", "certs": None, "row": row}
        spec = SubjectSpec(given_name=row["GivenName"] if personal else None,
                           surname=row["Surname"] if personal else None, common_name=None,
                           emails=emails)
        item["issue"] = lambda: self.ca.issue(row["CSR"], spec,
                                              "sponsor" if personal else "mailbox", 365)
        if not self.approval:
            item["certs"] = item["issue"]()
        self.entries.append({"id": f"bulk-{next(self.ca.ids)}", "userEmail": row["Email"],
                             "createdAt": "2026-11-02T09:00:00", "certificates": [item]})
        self.ca.orders[item["id"]] = item
        self.ca.hold()
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            if item["certs"]:
                zf.writestr(f"{row['Email']}.p7b",
                            der_to_ber(pkcs7.serialize_certificates(item["certs"], DER)))
            else:
                zf.writestr("report.csv", "Email,Status\r\n" + row["Email"] + ",Pending\r\n")
        return Response(archive.getvalue(), mimetype="application/zip")

    def approve_all(self):
        for entry in self.entries:
            for item in entry["certificates"]:
                if item["status"] == "Pending":
                    item["certs"], item["status"] = item["issue"](), "Valid"

    @staticmethod
    def view(item: dict) -> dict:
        certs = item["certs"]
        return {"id": item["id"], "friendlyName": item["friendlyName"],
                "statusName": item["status"],
                "serial": format(certs[0].serial_number, "X") if certs else "",
                "certificate": certs[0].public_bytes(PEM).decode() if certs else "",
                "pkcs7": base64.b64encode(der_to_ber(pkcs7.serialize_certificates(
                    certs, DER))).decode() if certs else ""}


@pytest.fixture
def fake_ca(tmp_path, ca_template, clock) -> FakeCA:
    folder = tmp_path / "fake-ca"
    shutil.copytree(ca_template, folder)
    return FakeCA(folder=folder, clock=clock)


@pytest.fixture
def sectigo(fake_ca):
    app = SectigoApp(fake_ca)
    server = FakeServer(app)
    yield server, app
    if server.server is not None:
        server.stop()


@pytest.fixture
def harica(fake_ca):
    app = HaricaApp(fake_ca)
    server = FakeServer(app)
    yield server, app
    if server.server is not None:
        server.stop()


def profiles_using(ca_name: str) -> dict:
    profiles = load_config(environ={})["profiles"]
    return {name: {**table, "ca": ca_name} for name, table in profiles.items()}


def send_request(runtime, new_csr, username: str = "erika", bits: int = 2048,
                 curve=None) -> str:
    """Request a certificate for the person's first address and send it; its public id."""
    with runtime.session() as s:
        who = s.exec(select(Person).where(Person.username == username)).one()
        mailbox = s.exec(select(Mailbox).where(Mailbox.owner_id == who.id)).first()
        cert = create_request(s, runtime, actor_for(who, s), who,
                              mailbox_public_id=mailbox.public_id, aliases=[],
                              csr=new_csr(bits=bits, curve=curve)[1], consents=CONSENTS)
        fire(s, cert, "submit", actor_for(who, s))
        s.commit()
        return cert.public_id


def certificate(runtime, public_id: str) -> Certificate:
    with runtime.session() as s:
        return s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()


@pytest.fixture
def helpers():
    """The helpers above, for the test modules (importlib mode: conftest is no module)."""
    from types import SimpleNamespace

    return SimpleNamespace(send_request=send_request, certificate=certificate,
                           profiles_using=profiles_using)
