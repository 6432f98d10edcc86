"""Reading persons from the IdM's LDAP directory (ldap3) for the pull sync
(usecases/ldap_sync.py). Only reads: a paged subtree search (RFC 2696 simple paged
results), all entries or those modified since a moment (modifyTimestamp, the directory's
own clock). Values come back as text; attribute names lower-cased."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from ra_console.adapters.ldap_connection import close, ldap_connection

TIMESTAMP = "modifytimestamp"


class IdmDirectoryUnavailable(Exception):
    """The directory could not be reached or refused the search: try again later."""


@dataclass(frozen=True)
class LdapEntry:
    dn: str
    values: dict[str, list[str]]  # lower-cased attribute name -> values

    def first(self, attribute: str) -> str | None:
        found = self.values.get(attribute.lower())
        return found[0] if found else None


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


class IdmDirectory:
    def __init__(self, config: dict):
        self.config = config

    def attributes(self) -> list[str]:
        """Every attribute the mapping names, and the modification time."""
        c = self.config
        names = [c["ldap_sync.username_attribute"], c["ldap_sync.given_name_attribute"],
                 c["ldap_sync.surname_attribute"], c["ldap_sync.display_name_attribute"],
                 c["ldap_sync.mail_attribute"], c["ldap_sync.external_id_attribute"],
                 *c["ldap_sync.affiliation_attributes"], "modifyTimestamp"]
        return list(dict.fromkeys(n for n in names if n))

    def _connect(self) -> ldap3.Connection:
        # check_names off: the names are the site's; the server says what it knows
        return ldap_connection(self.config, "ldap_sync", unavailable=IdmDirectoryUnavailable,
                               check_names=False, read_only=True)

    def entries(self, changed_since: str | None = None) -> Iterator[LdapEntry]:
        """Every entry matching the filter, or (changed_since: a generalized time as the
        directory wrote it) those modified at or after that moment."""
        query = self.config["ldap_sync.filter"]
        if changed_since:
            query = f"(&{query}(modifyTimestamp>={escape_filter_chars(changed_since)}))"
        connection = self._connect()
        try:
            pages = connection.extend.standard.paged_search(
                self.config["ldap_sync.base_dn"], query, search_scope=ldap3.SUBTREE,
                attributes=self.attributes(), paged_size=self.config["ldap_sync.page_size"],
                generator=True)
            for found in pages:
                if found.get("type") != "searchResEntry":
                    continue  # referrals
                yield LdapEntry(found["dn"], {
                    name.lower(): [_text(v) for v in values]
                    for name, values in found["raw_attributes"].items() if values})
        except LDAPException as exc:
            raise IdmDirectoryUnavailable(f"LDAP search: {exc}") from None
        finally:
            close(connection)
