"""An LDAP connection (ldap3) from configuration, opened and closed one way for directory
publication (adapters/directory.py, prefix "directory") and the IdM's directory
(adapters/idm_ldap.py, prefix "ldap_sync"). A prefix names the keys PREFIX.url,
PREFIX.timeout_seconds, PREFIX.bind_dn, PREFIX_bind_password (a secret) and
PREFIX.start_tls."""

from __future__ import annotations

from collections.abc import Mapping

import ldap3
from ldap3.core.exceptions import LDAPException


def ldap_connection(config: Mapping, prefix: str, *, unavailable: type[Exception],
                    get_info: str = ldap3.NONE, check_names: bool = True,
                    read_only: bool = False) -> ldap3.Connection:
    """A bound connection (StartTLS first where configured); every call has the timeout.
    Failures raise `unavailable` with the server's URL."""
    url, timeout = config[f"{prefix}.url"], config[f"{prefix}.timeout_seconds"]
    server = ldap3.Server(url, connect_timeout=timeout, get_info=get_info)
    connection = ldap3.Connection(
        server, user=config[f"{prefix}.bind_dn"] or None,
        password=config[f"{prefix}_bind_password"] or None, receive_timeout=timeout,
        raise_exceptions=True, auto_bind=False, check_names=check_names, read_only=read_only)
    try:
        connection.open()
        if config[f"{prefix}.start_tls"]:
            connection.start_tls()
        connection.bind()
    except LDAPException as exc:
        close(connection)
        raise unavailable(f"LDAP {url}: {exc}") from None
    return connection


def close(connection: ldap3.Connection) -> None:
    """Close the socket even of a connection that never got going (ldap3 leaves it open)."""
    try:
        connection.unbind()
    except LDAPException:
        pass
    sock = getattr(connection, "socket", None)
    if sock is not None:
        sock.close()
