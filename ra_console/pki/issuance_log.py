"""The local CA's issuance register: what it is about to sign, written before it signs.

`issued.jsonl` in the CA folder, one JSON object per line, appended under the CA's lock and
fsynced before the signature: {"serial", "state": "pending", "subject", "spki_sha256",
"profile", "at"}, then {"serial", "state": "signed"} once signed and {"serial", "state":
"complete"} once the certificate is recorded where it belongs (the RA's database, or the
mail-signer file), or {"serial", "state": "failed"} when signing raised. A crash between signing and that record leaves an incomplete entry,
which reconciliation finds. It lives with the CA's keys and revoked.json, not in the
database, because it must survive the very rollback it is there to reveal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ra_console.pki._common import random_serial
from ra_console.pki.certificates import SubjectSpec, build_subject, issue_certificate
from ra_console.pki.localca import IssuingCA
from ra_console.pki.profiles import CertificateProfile
from ra_console.pki.revocation import ca_lock

REGISTER = "issued.jsonl"
# "failed": signing raised, so no certificate exists; "lost": signed (maybe) but never
# recorded, so its serial was revoked. "complete", "failed" and "lost" are final.
STATES = ("pending", "signed", "complete", "failed", "lost")


@dataclass(frozen=True)
class IssuanceRecord:
    serial: int
    subject: str
    spki_sha256: str
    profile: str
    at: datetime
    state: str


def spki_sha256(public_key) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _append(directory: Path, entries: list[dict]) -> None:
    directory = Path(directory)
    with ca_lock(directory):
        fd = os.open(directory / REGISTER, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(fd, "ab") as handle:
            handle.write("".join(json.dumps(e, sort_keys=True) + "\n"
                                 for e in entries).encode())
            handle.flush()
            os.fsync(handle.fileno())


def record_pending(directory: Path, serial: int, subject: x509.Name, public_key,
                   profile: str, at: datetime) -> None:
    """Durably note the certificate about to be signed (call before signing)."""
    _append(directory, [{"serial": format(serial, "x"), "state": "pending",
                         "subject": subject.rfc4514_string(),
                         "spki_sha256": spki_sha256(public_key), "profile": profile,
                         "at": at.isoformat()}])


def mark(directory: Path, serials: list[int], state: str) -> None:
    """Move records on to "signed", "complete", "failed" or "lost"."""
    if state not in STATES[1:]:
        raise ValueError(f"state: one of {STATES[1:]}")
    if serials:
        _append(directory, [{"serial": format(s, "x"), "state": state} for s in serials])


def load_records(directory: Path) -> dict[int, IssuanceRecord]:
    """serial -> its record in its latest state."""
    records: dict[int, IssuanceRecord] = {}
    try:
        lines = (Path(directory) / REGISTER).read_text().splitlines()
    except FileNotFoundError:
        return records
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        serial = int(entry["serial"], 16)
        if entry["state"] == "pending":
            records[serial] = IssuanceRecord(serial, entry["subject"], entry["spki_sha256"],
                                             entry["profile"],
                                             datetime.fromisoformat(entry["at"]), "pending")
        elif serial in records:
            records[serial] = dataclasses.replace(records[serial], state=entry["state"])
    return records


def incomplete(directory: Path) -> list[IssuanceRecord]:
    """Records neither complete nor failed: a certificate may exist that nobody holds."""
    return [r for r in load_records(directory).values() if r.state in ("pending", "signed")]


def issued_serials(directory: Path) -> set[int]:
    """Serials this CA signed (or may have signed): the OCSP responder knows them."""
    return {serial for serial, r in load_records(directory).items() if r.state != "failed"}


def sign_recorded(ca: IssuingCA, directory: Path, public_key, profile: CertificateProfile,
                  spec: SubjectSpec, *, pki_base_url: str, now: datetime,
                  ocsp_url: str | None = None, signing_only: bool = False
                  ) -> x509.Certificate:
    """issue_certificate(), with the pending record fsynced before the signature and the
    "signed" (or "failed") record after it."""
    serial = random_serial()
    record_pending(directory, serial, build_subject(profile, spec), public_key, profile.name,
                   now)
    try:
        cert = issue_certificate(ca, public_key, profile, spec, pki_base_url=pki_base_url,
                                 now=now, ocsp_url=ocsp_url, serial=serial,
                                 signing_only=signing_only)
    except BaseException:
        mark(directory, [serial], "failed")
        raise
    mark(directory, [serial], "signed")
    return cert
