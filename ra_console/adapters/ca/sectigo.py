"""Sectigo Certificate Manager (SCM), S/MIME REST API v2 (Admin Operations API 25.9).

enroll → backendCertId; collect/{backendCertId} answers HTTP 400 with code -183 while the
order is not collectable yet (pending); revoke by order or by serial. Each order carries
the RA's request reference in `comments`, so after a lost answer the order is found again
(GET /api/smime/v2?email=…) instead of being enrolled twice.
"""

from __future__ import annotations

import threading
import time

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

API = "/api/smime/v2"
NOT_COLLECTABLE = -183
# code -> (outcome, message prefix)
ERRORS = {
    -172: ("rejected", "the CA refused the certificate profile"),
    -188: ("rejected", "the CA refused: too many valid certificates for this person"),
    -194: ("rejected", "the CA refused the key size"),
    -195: ("unavailable", "the CA is unavailable"),
}
# RFC 5280 reason -> Sectigo reasonCode (ClientRevokeRequest allows 0, 1, 3, 4, 5)
REASON_CODES = {"keyCompromise": "1", "affiliationChanged": "3", "superseded": "4",
                "cessationOfOperation": "5"}


class SectigoSCM:
    name = "sectigo"

    def __init__(self, config: dict):
        self.config = config
        self.client = HttpClient(config["sectigo.base_url"], config["sectigo.timeout_seconds"])
        self.trust_anchors = load_anchors(config["sectigo.trust_anchors"])
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    # --- authentication -----------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        config = self.config
        if config["sectigo.auth"] == "password":
            return {"login": config["sectigo.login"], "password": config["sectigo_password"],
                    "customerUri": config["sectigo.customer_uri"]}
        with self._lock:
            if self._token is None or self._token[1] <= time.monotonic():
                self._token = self._fetch_token()
            return {"Authorization": f"Bearer {self._token[0]}"}

    def _fetch_token(self) -> tuple[str, float]:
        response = self.client.request("POST", self.config["sectigo.token_url"], data={
            "grant_type": "client_credentials", "client_id": self.config["sectigo.client_id"],
            "client_secret": self.config["sectigo_client_secret"]})
        body = json_or_empty(response)
        if response.status_code != 200 or "access_token" not in body:
            raise CAUnavailable(f"Sectigo token endpoint: HTTP {response.status_code}")
        lifetime = float(body.get("expires_in", 300))
        return body["access_token"], time.monotonic() + max(10.0, lifetime - 30)

    def _call(self, method: str, path: str, **kwargs):
        response = self.client.request(method, path, headers=self._headers(), **kwargs)
        if response.status_code == 401:
            with self._lock:
                self._token = None
            raise CAUnavailable("Sectigo: authentication failed (HTTP 401); check the "
                                "credentials")
        if response.status_code >= 500:
            raise CAUnavailable(f"Sectigo: HTTP {response.status_code}")
        return response

    @staticmethod
    def _error(response) -> tuple[int | None, str]:
        body = json_or_empty(response)
        if isinstance(body, dict):
            return body.get("code"), str(body.get("description") or response.text[:300])
        return None, response.text[:300]

    def _outcome(self, response, ref: str | None) -> CAResult:
        code, description = self._error(response)
        outcome, prefix = ERRORS.get(code, ("rejected", "the CA rejected the request"))
        if outcome == "unavailable":
            raise CAUnavailable(f"Sectigo {code}: {description}")
        return CAResult(status="rejected", ref=ref, reason=f"{prefix} ({code}: {description})")

    # --- the connector ------------------------------------------------------------------
    def find(self, order: Order) -> CAResult | None:
        """The order the RA already placed for this request, if the CA has one."""
        reference = request_reference(order)
        response = self._call("GET", API, params={"email": order.subject.emails[0],
                                                  "size": 200})
        if response.status_code != 200:
            raise CAUnavailable(f"Sectigo list: HTTP {response.status_code}")
        for item in json_or_empty(response) or []:
            if reference in (item.get("comments") or "") and item.get("backendCertId"):
                if item.get("state") == "rejected":
                    return CAResult(status="rejected", ref=item["backendCertId"],
                                    reason="the CA rejected the request")
                return self.poll(str(item["backendCertId"]))
        return None

    def submit(self, order: Order) -> CAResult:
        found = self.find(order)
        if found is not None:
            return found
        subject = order.subject
        emails = list(subject.emails)
        payload = {
            "orgId": int(self.config["sectigo.org_id"]),
            "certType": int(ca_type_for(self.config["sectigo.cert_types"], order.profile.name)),
            "term": order.profile.validity_days,
            "email": emails[0],
            "secondaryEmails": emails[1:],
            "csr": order.csr_pem,
            "comments": reference_comment(order),
        }
        if subject.given_name or subject.surname:
            payload.update(firstName=subject.given_name or "", lastName=subject.surname or "",
                           commonName=subject.common_name or "")
        else:  # functional mailbox: no personal name; the CN may only be the address
            payload.update(firstName=emails[0].split("@")[0], lastName="",
                           commonName=emails[0])
        try:
            response = self._call("POST", f"{API}/enroll", json=payload)
        except AnswerLost:
            found = self.find(order)  # did the enrolment arrive?
            if found is None:
                raise
            return found
        if response.status_code != 200:
            return self._outcome(response, None)
        ref = str(json_or_empty(response).get("backendCertId") or "")
        if not ref:
            raise CAUnavailable("Sectigo enroll: answer without backendCertId")
        return self.poll(ref)

    def poll(self, ref: str) -> CAResult:
        response = self._call("GET", f"{API}/collect/{ref}", params={"format": "x509"})
        if response.status_code == 200:
            try:
                return issued(load_certificates(response.content), ref)
            except BundleError as exc:
                raise CAUnavailable(f"Sectigo collect: unreadable certificate ({exc})") from None
        code, description = self._error(response)
        if code == NOT_COLLECTABLE:
            return CAResult(status="pending", ref=ref)
        return self._outcome(response, ref)

    def revoke(self, ref: str, serial: str, reason: str | None) -> None:
        body = {"reasonCode": REASON_CODES.get(reason or "", "0"),
                "reason": f"revoked by the RA ({reason or 'unspecified'})"}
        if ref and ref != serial:
            path = f"{API}/revoke/order/{ref}"
        else:
            path = f"{API}/revoke/serial/{serial}"
        response = self._call("POST", path, json=body)
        if response.status_code not in (200, 204):
            code, description = self._error(response)
            raise RuntimeError(f"Sectigo revoke: HTTP {response.status_code} "
                               f"({code}: {description})")


def reference_comment(order: Order) -> str:
    return f"{request_reference(order)} (RA Console)"
