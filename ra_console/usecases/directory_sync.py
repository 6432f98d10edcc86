"""`ra-console directory sync`: compare the directory with the database, report every
difference and (unless it only reports) fix it.

- missing: an issued, unexpired, consented certificate that is not in the person's entry
  (or lacks its userSMIMECertificate where the schema has one) -> published;
- stale: a certificate the RA knows that must not be there (revoked, expired, no consent,
  or in another entry than the person's) -> removed;
- foreign: a certificate the RA never issued -> reported only (somebody else put it there).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from ra_console.adapters.directory import LdapDirectory, NoEntry, certificate_der, should_publish
from ra_console.core.db import aware
from ra_console.models import Certificate


@dataclass(frozen=True)
class Difference:
    kind: str  # missing | stale | foreign | no_entry
    dn: str
    certificate: str  # public id, or the serial of a foreign certificate
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:8} {self.certificate}  {self.dn}  {self.detail}"


def _serial(der: bytes) -> str:
    from cryptography import x509

    try:
        return format(x509.load_der_x509_certificate(der).serial_number, "x")
    except ValueError:
        return "?"


def sync(runtime, *, fix: bool = True) -> list[Difference]:
    now = runtime.now()
    with runtime.session() as session:
        known = {certificate_der(c): c for c in session.exec(
            select(Certificate).where(Certificate.cert_pem.is_not(None))).all()}
    wanted = {der: c for der, c in known.items()
              if c.status == "issued" and c.not_after and aware(c.not_after) > now
              and should_publish(c)}
    directory = LdapDirectory(runtime.config)
    differences: list[Difference] = []
    states: dict[int, tuple[str, str | None]] = {}
    with directory.connection() as connection:
        present: dict[bytes, list] = {}
        for entry in directory.entries_with_certificates(connection):
            for der in entry.certificates | set(entry.smime):
                present.setdefault(der, []).append(entry)
        for der, cert in wanted.items():
            try:
                target = directory.entry_for(connection, cert.addresses[0])
            except NoEntry as exc:
                differences.append(Difference("no_entry", "-", cert.public_id, str(exc)))
                states[cert.id] = ("no_entry", None)
                continue
            complete = der in target.certificates and (
                not target.smime_allowed or der in target.smime)
            if not complete:
                differences.append(Difference("missing", target.dn, cert.public_id,
                                              f"serial {cert.serial}"))
                if fix:
                    directory.publish_with(connection, cert)
            states[cert.id] = ("published", target.dn)
            for entry in present.get(der, []):
                if entry.dn.lower() != target.dn.lower():
                    differences.append(Difference("stale", entry.dn, cert.public_id,
                                                  "in another person's entry"))
                    if fix:
                        directory.remove_values(connection, entry, der)
        for der, entries in present.items():
            cert = known.get(der)
            if cert is None:
                for entry in entries:
                    differences.append(Difference("foreign", entry.dn, _serial(der),
                                                  "not issued through the RA; left alone"))
                continue
            if der in wanted:
                continue
            for entry in entries:
                differences.append(Difference("stale", entry.dn, cert.public_id,
                                              f"status {cert.status}"))
                if fix:
                    directory.remove_values(connection, entry, der)
            states[cert.id] = ("removed", cert.directory_dn)
    if fix:
        with runtime.session() as session:
            for cert_id, (state, dn) in states.items():
                cert = session.get(Certificate, cert_id)
                cert.directory_state, cert.directory_dn = state, dn or cert.directory_dn
            session.commit()
    return differences
