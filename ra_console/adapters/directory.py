"""Directory publication (LDAP, ldap3): certificates into the person's entry and out again.

The entry is found by `directory.search_filter` under `directory.base_dn`. A certificate
goes into `userCertificate;binary` (DER) and, where the entry's object classes allow it
(inetOrgPerson), into `userSMIMECertificate` (a PKCS#7 with the certificate and its
chain). Every call has a timeout; failures raise DirectoryUnavailable and the outbox
retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import ldap3
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from ra_console.adapters.ldap_connection import close, ldap_connection
from ra_console.models import Certificate
from ra_console.pki.bundles import pkcs7_der
from ra_console.pki.pkcs7 import load_certificates, split_leaf

CERT_ATTR = "userCertificate;binary"
SMIME_ATTR = "userSMIMECertificate"


class DirectoryUnavailable(Exception):
    """The directory could not be reached or refused the change: retry later."""


class NoEntry(Exception):
    """No (or more than one) directory entry matches the certificate's address."""


def should_publish(cert: Certificate) -> bool:
    return "directory_publication" in (cert.consents or {})


def certificate_der(cert: Certificate) -> bytes:
    return x509.load_pem_x509_certificate(cert.cert_pem.encode()).public_bytes(Encoding.DER)


def _smime(cert: Certificate) -> bytes:
    chain = x509.load_pem_x509_certificates(cert.chain_pem.encode()) if cert.chain_pem else []
    return pkcs7_der([x509.load_pem_x509_certificate(cert.cert_pem.encode()), *chain])


def _leaf_of_smime(value: bytes) -> bytes | None:
    try:
        leaf, _ = split_leaf(load_certificates(value))
    except ValueError:
        return None
    return leaf.public_bytes(Encoding.DER)


@dataclass
class Entry:
    dn: str
    certificates: set[bytes] = field(default_factory=set)  # DER in userCertificate
    smime: dict[bytes, bytes] = field(default_factory=dict)  # leaf DER -> stored value
    smime_values: list[bytes] = field(default_factory=list)  # everything stored there
    smime_allowed: bool = False


class LdapDirectory:
    def __init__(self, config: dict):
        self.config = config

    @contextmanager
    def connection(self) -> Iterator[ldap3.Connection]:
        connection = self.connect()
        try:
            yield connection
        finally:
            close(connection)

    def connect(self) -> ldap3.Connection:
        return ldap_connection(self.config, "directory", unavailable=DirectoryUnavailable,
                               get_info=ldap3.SCHEMA)

    def _allowed(self, connection, object_classes) -> set[str]:
        schema = connection.server.schema
        allowed, todo = set(), [str(o) for o in object_classes]
        while todo and schema is not None:
            name = todo.pop()
            definition = schema.object_classes.get(name)
            if definition is None:
                continue
            for attr in (definition.may_contain or []) + (definition.must_contain or []):
                allowed.add(attr.lower())
            todo.extend(definition.superior or [])
        return allowed

    def entry_for(self, connection, address: str) -> Entry:
        query = self.config["directory.search_filter"].replace(
            "{address}", escape_filter_chars(address))
        try:
            connection.search(self.config["directory.base_dn"], query,
                              attributes=["objectClass", CERT_ATTR, SMIME_ATTR])
        except LDAPException as exc:
            raise DirectoryUnavailable(f"LDAP search: {exc}") from None
        if len(connection.entries) != 1:
            raise NoEntry(f"{len(connection.entries)} directory entries match {query}")
        return self._entry(connection, connection.entries[0])

    def _entry(self, connection, raw) -> Entry:
        attributes = raw.entry_attributes_as_dict
        entry = Entry(dn=raw.entry_dn)
        for name, values in attributes.items():
            base = name.split(";")[0].lower()
            if base == "usercertificate":
                entry.certificates.update(bytes(v) for v in values)
            elif base == "usersmimecertificate":
                for value in values:
                    entry.smime_values.append(bytes(value))
                    leaf = _leaf_of_smime(bytes(value))
                    if leaf:
                        entry.smime[leaf] = bytes(value)
        allowed = self._allowed(connection, attributes.get("objectClass", []))
        entry.smime_allowed = self.config["directory.smime_attribute"] and (
            SMIME_ATTR.lower() in allowed)
        return entry

    def _modify(self, connection, dn: str, changes: dict) -> None:
        if not changes:
            return
        try:
            connection.modify(dn, changes)
        except LDAPException as exc:
            raise DirectoryUnavailable(f"LDAP modify {dn}: {exc}") from None

    def publish(self, cert: Certificate) -> str:
        """Add the certificate to the entry of its first address; returns the entry's DN."""
        with self.connection() as connection:
            return self.publish_with(connection, cert)

    def publish_with(self, connection, cert: Certificate) -> str:
        entry = self.entry_for(connection, cert.addresses[0])
        der, changes = certificate_der(cert), {}
        if der not in entry.certificates:
            changes[CERT_ATTR] = [(ldap3.MODIFY_ADD, [der])]
        if entry.smime_allowed and der not in entry.smime:
            changes[SMIME_ATTR] = [(ldap3.MODIFY_ADD, [_smime(cert)])]
        self._modify(connection, entry.dn, changes)
        return entry.dn

    def unpublish(self, cert: Certificate) -> str | None:
        """Remove the certificate wherever the RA put it; None when no entry is left."""
        with self.connection() as connection:
            try:
                entry = self.entry_for(connection, cert.addresses[0])
            except NoEntry:
                if not cert.directory_dn:
                    return None
                entry = self.read(connection, cert.directory_dn)
                if entry is None:
                    return None
            self.remove_values(connection, entry, certificate_der(cert))
            return entry.dn

    def remove_values(self, connection, entry: Entry, der: bytes) -> None:
        changes = {}
        if der in entry.certificates:
            changes[CERT_ATTR] = [(ldap3.MODIFY_DELETE, [der])]
        if der in entry.smime:
            # userSMIMECertificate has no equality rule: single values cannot be deleted,
            # so the attribute is replaced by what else it held
            keep = [v for v in entry.smime_values if v != entry.smime[der]]
            changes[SMIME_ATTR] = [(ldap3.MODIFY_REPLACE, keep)]
        self._modify(connection, entry.dn, changes)

    def read(self, connection, dn: str) -> Entry | None:
        try:
            found = connection.search(dn, "(objectClass=*)", search_scope=ldap3.BASE,
                                      attributes=["objectClass", CERT_ATTR, SMIME_ATTR])
        except ldap3.core.exceptions.LDAPNoSuchObjectResult:
            return None
        except LDAPException as exc:
            raise DirectoryUnavailable(f"LDAP read {dn}: {exc}") from None
        return self._entry(connection, connection.entries[0]) if found else None

    def entries_with_certificates(self, connection) -> list[Entry]:
        try:
            connection.search(self.config["directory.base_dn"],
                              f"(|({CERT_ATTR.split(';')[0]}=*)({SMIME_ATTR}=*))",
                              attributes=["objectClass", CERT_ATTR, SMIME_ATTR])
        except LDAPException as exc:
            raise DirectoryUnavailable(f"LDAP search: {exc}") from None
        return [self._entry(connection, raw) for raw in connection.entries]
