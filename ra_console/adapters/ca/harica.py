"""HARICA Certificate Manager (GÉANT TCS) with an API key (header X-API-Key).

Issuance: POST /cm/v1/bulk/create/smime (multipart: the organisation id as `Value`, a
one-line CSV as `File`) answers with a ZIP holding a .p7b (often BER), or JSON on error.
The RA's request reference travels as the CSV's FriendlyName, so an order whose answer
was lost is found again among the organisation's bulk entries instead of being sent twice.
Lookup and revocation use the Enterprise Admin endpoints for bulk certificates.
"""

from __future__ import annotations

import base64
import csv
import io
import zipfile

from ra_console.adapters.ca import (
    CAResult,
    CAUnavailable,
    Order,
    ca_type_for,
    issued,
    request_reference,
)
from ra_console.adapters.ca.http import AnswerLost, HttpClient, json_or_empty, load_anchors
from ra_console.pki.pkcs7 import BundleError, load_certificates

CREATE = "/cm/v1/bulk/create/smime"
ENTERPRISES = "/cm/v1/admin/enterprises"
ENTRIES = "/api/OrganizationAdmin/GetBulkCertificateEntries"
ENTRY_CERTIFICATES = "/api/OrganizationAdmin/GetBulkCertificatesOfAnEntry"
REVOKE = "/api/OrganizationAdmin/RevokeBulkCertificate"
CSV_COLUMNS = ("FriendlyName", "Email", "Email2", "Email3", "GivenName", "Surname",
               "PickupPassword", "CertType", "CSR")
ISSUED = {"valid", "issued", "completed"}
REFUSED = {"rejected", "declined", "failed", "canceled", "cancelled"}


class HaricaCM:
    name = "harica"

    def __init__(self, config: dict):
        self.config = config
        self.client = HttpClient(config["harica.base_url"], config["harica.timeout_seconds"],
                                 headers={"X-API-Key": config["harica_api_key"]})
        self.trust_anchors = load_anchors(config["harica.trust_anchors"])

    def _call(self, method: str, path: str, **kwargs):
        response = self.client.request(method, path, **kwargs)
        if response.status_code in (401, 403):
            raise CAUnavailable(f"HARICA: API key refused (HTTP {response.status_code}); "
                                "check RA_HARICA_API_KEY and the key's role")
        if response.status_code >= 500 or response.status_code == 429:
            raise CAUnavailable(f"HARICA: HTTP {response.status_code}")
        return response

    @staticmethod
    def _message(response) -> str:
        body = json_or_empty(response)
        if isinstance(body, dict):
            for key in ("message", "error", "title", "detail", "description"):
                if body.get(key):
                    return str(body[key])
        return response.text[:300] or f"HTTP {response.status_code}"

    # --- lookups ------------------------------------------------------------------------
    def _entries(self) -> list[dict]:
        response = self._call("POST", ENTRIES, json={})
        if response.status_code != 200:
            raise CAUnavailable(f"HARICA entries: HTTP {response.status_code}")
        return list(json_or_empty(response) or [])

    def _certificates_of(self, entry_id: str) -> list[dict]:
        response = self._call("POST", ENTRY_CERTIFICATES, json={"id": entry_id})
        if response.status_code != 200:
            raise CAUnavailable(f"HARICA entry {entry_id}: HTTP {response.status_code}")
        return list(json_or_empty(response) or [])

    def _result(self, entry_id: str, item: dict) -> CAResult:
        # the reference names the bulk entry and its certificate: polls ask only that entry
        ref = f"{entry_id}/{item['id']}"
        status = str(item.get("statusName") or "").lower()
        if status in REFUSED:
            return CAResult(status="rejected", ref=ref,
                            reason=f"the CA rejected the request ({item.get('statusName')})")
        blob = item.get("pkcs7") or item.get("certificate")
        if status in ISSUED or blob:
            if not blob:
                return CAResult(status="pending", ref=ref)
            try:
                data = blob.encode() if "-----BEGIN" in blob else base64.b64decode(blob)
                return issued(load_certificates(data), ref)
            except (BundleError, ValueError) as exc:
                raise CAUnavailable(f"HARICA: unreadable certificate ({exc})") from None
        return CAResult(status="pending", ref=ref)

    def find(self, order: Order) -> CAResult | None:
        """The bulk certificate the RA already ordered for this request, if any."""
        reference, address = request_reference(order), order.subject.emails[0].lower()
        for entry in self._entries():
            if str(entry.get("userEmail") or "").lower() not in ("", address):
                continue
            for item in self._certificates_of(str(entry["id"])):
                if item.get("friendlyName") == reference:
                    return self._result(str(entry["id"]), item)
        return None

    def _find_serial(self, serial: str) -> str | None:
        for entry in self._entries():
            for item in self._certificates_of(str(entry["id"])):
                if str(item.get("serial") or "").lower().lstrip("0") == serial.lstrip("0"):
                    return f"{entry['id']}/{item['id']}"
        return None

    # --- the connector ------------------------------------------------------------------
    def _csv(self, order: Order) -> bytes:
        subject, emails = order.subject, list(order.subject.emails) + ["", ""]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerow([request_reference(order), emails[0], emails[1], emails[2],
                         subject.given_name or "", subject.surname or "", "",
                         ca_type_for(self.config["harica.cert_types"], order.profile.name),
                         order.csr_pem.strip()])
        return out.getvalue().encode()

    def submit(self, order: Order) -> CAResult:
        found = self.find(order)
        if found is not None:
            return found
        files = {"File": ("bulk.csv", self._csv(order), "text/csv")}
        data = {"Value": self.config["harica.organization_id"]}
        try:
            response = self._call("POST", CREATE, data=data, files=files)
        except AnswerLost:
            found = self.find(order)
            if found is None:
                raise
            return found
        kind = response.headers.get("Content-Type", "")
        if response.status_code != 200 or "json" in kind:
            return CAResult(status="rejected",
                            reason=f"the CA rejected the request: {self._message(response)}")
        certs = _certificates_in_zip(response.content)
        if not certs:  # accepted, waiting (e.g. for an approver): poll it by its id
            found = self.find(order)
            if found is None:
                raise CAUnavailable("HARICA accepted the order but does not list it yet")
            return found
        try:
            found = self.find(order)
        except CAUnavailable:
            found = None
        return issued(certs, found.ref if found else None)

    def poll(self, ref: str) -> CAResult:
        entry_id, _, item_id = ref.partition("/")
        for item in self._certificates_of(entry_id):
            if str(item.get("id")) == item_id:
                return self._result(entry_id, item)
        raise CAUnavailable(f"HARICA does not list the order {ref} (yet)")

    def revoke(self, ref: str, serial: str, reason: str | None) -> None:
        ref = ref if ref and "/" in ref else self._find_serial(serial)
        if ref is None:
            raise RuntimeError(f"HARICA: no certificate with serial {serial} found to revoke")
        response = self._call("POST", REVOKE, json={
            "transactionId": ref.partition("/")[2], "name": reason or "unspecified",
            "message": f"revoked by the RA ({reason or 'unspecified'})"})
        if response.status_code not in (200, 204):
            raise RuntimeError(f"HARICA revoke: HTTP {response.status_code} "
                               f"({self._message(response)})")


def _certificates_in_zip(data: bytes) -> list:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise CAUnavailable("HARICA: the answer is not a ZIP file") from None
    certs = []
    for info in archive.infolist():
        if info.filename.lower().endswith((".p7b", ".p7c", ".pem", ".crt", ".cer")):
            if info.file_size > 1 << 20:
                raise CAUnavailable(f"HARICA: {info.filename} is unexpectedly large")
            try:
                certs.extend(load_certificates(archive.read(info)))
            except BundleError as exc:
                raise CAUnavailable(f"HARICA: {info.filename}: {exc}") from None
    return certs
