"""Revocation register (revoked.json) and CRLs of the local CA."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ra_console.pki._common import authority_key_id, utc_seconds, write_atomic
from ra_console.pki.localca import IssuingCA, load_ca, load_root_key

# SBR §7.2.2 / pkilint cabf.crl: the only reason codes allowed for subscriber
# certificates. "unspecified" is expressed by omitting the reasonCode.
ALLOWED_REASONS = frozenset({
    x509.ReasonFlags.key_compromise,
    x509.ReasonFlags.affiliation_changed,
    x509.ReasonFlags.superseded,
    x509.ReasonFlags.cessation_of_operation,
    x509.ReasonFlags.privilege_withdrawn,
})
# SBR §4.9.7: nextUpdate at most 10 days after thisUpdate; we re-issue weekly.
DEFAULT_NEXT_UPDATE_HOURS = 7 * 24
_REGISTER = "revoked.json"


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None = None


@contextmanager
def ca_lock(directory: Path) -> Iterator[None]:
    # several app processes may revoke at once; serialise read-modify-write
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(directory: Path) -> dict:
    try:
        return json.loads((directory / _REGISTER).read_text())
    except FileNotFoundError:
        return {"crl_number": 0, "revoked": []}


def _write(directory: Path, state: dict) -> None:
    write_atomic(directory / _REGISTER, (json.dumps(state, indent=1) + "\n").encode())


def _entry(item: dict) -> RevokedEntry:
    reason = item.get("reason")
    return RevokedEntry(
        serial=int(item["serial"], 16),
        revoked_at=datetime.fromisoformat(item["revoked_at"]),
        reason=x509.ReasonFlags(reason) if reason else None,
    )


def load_revoked(directory: Path) -> list[RevokedEntry]:
    """All entries of the register, oldest first."""
    return [_entry(item) for item in _read(Path(directory))["revoked"]]


def revoke(directory: Path, serial: int, reason: x509.ReasonFlags | None,
           when: datetime) -> None:
    """Record a revocation; repeating it changes nothing (except an upgrade to keyCompromise)."""
    directory = Path(directory)
    if isinstance(serial, bool) or not isinstance(serial, int) or serial <= 0:
        raise ValueError("serial: must be a positive integer")
    if reason == x509.ReasonFlags.unspecified:
        reason = None
    if reason is not None and reason not in ALLOWED_REASONS:
        raise ValueError(f"reason {reason.value!r} is not allowed for S/MIME certificates")
    when = utc_seconds(when)
    if not (directory / "ca.json").exists():
        raise FileNotFoundError(f"no CA in {directory}")
    with ca_lock(directory):
        state = _read(directory)
        key = format(serial, "x")
        for item in state["revoked"]:
            if item["serial"] == key:
                # the reason may later be raised to keyCompromise, never lowered
                if reason == x509.ReasonFlags.key_compromise and item.get("reason") != reason.value:
                    item["reason"] = reason.value
                    _write(directory, state)
                return
        state["revoked"].append({
            "serial": key,
            "revoked_at": when.isoformat(),
            "reason": reason.value if reason else None,
        })
        _write(directory, state)


def _sign_crl(issuer_cert, issuer_key, entries: Iterable[RevokedEntry], *, now: datetime,
              crl_number: int, next_update_hours: int) -> bytes:
    now = utc_seconds(now)
    if not 1 <= next_update_hours <= 10 * 24:
        raise ValueError("next_update_hours: must be between 1 and 240 (SBR §4.9.7)")
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(now)
        .next_update(now + timedelta(hours=next_update_hours))
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(authority_key_id(issuer_cert), critical=False)
    )
    for entry in sorted(entries, key=lambda e: e.serial):
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(utc_seconds(entry.revoked_at))
        )
        if entry.reason is not None:
            revoked = revoked.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    crl = builder.sign(issuer_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def build_crl(ca: IssuingCA, revoked: Iterable[RevokedEntry], *, now: datetime,
              crl_number: int, next_update_hours: int = DEFAULT_NEXT_UPDATE_HOURS) -> bytes:
    """DER CRL of the issuing CA listing `revoked`."""
    return _sign_crl(ca.certificate, ca.private_key, revoked, now=now,
                     crl_number=crl_number, next_update_hours=next_update_hours)


def write_crl(directory: Path, now: datetime, *,
              next_update_hours: int = DEFAULT_NEXT_UPDATE_HOURS) -> bytes:
    """Regenerate issuing.crl and root.crl (DER) with a new CRL number; return issuing.crl."""
    directory = Path(directory)
    ca = load_ca(directory)
    with ca_lock(directory):
        state = _read(directory)
        # one increasing counter serves both CRLs; numbers need only grow per issuer
        state["crl_number"] = number = int(state.get("crl_number", 0)) + 1
        entries = [_entry(item) for item in state["revoked"]]
        issuing = build_crl(ca, entries, now=now, crl_number=number,
                            next_update_hours=next_update_hours)
        # the root has issued only the issuing CA, which is not revoked here
        root = _sign_crl(ca.root_certificate, load_root_key(directory), [], now=now,
                         crl_number=number, next_update_hours=next_update_hours)
        _write(directory, state)
        write_atomic(directory / "issuing.crl", issuing)
        write_atomic(directory / "root.crl", root)
    return issuing


# RFC 5280 reasons a subscriber may give (SBR §4.9.1.1, §7.2.2); "unspecified" is sent
# without a reasonCode, as the BR require.
USER_REASONS = ("unspecified", "keyCompromise", "affiliationChanged", "superseded",
                "cessationOfOperation")


REASON_FLAGS = {
    "unspecified": None,
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "affiliationChanged": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
    "privilegeWithdrawn": x509.ReasonFlags.privilege_withdrawn,
}
