"""`ra-console config check`: every key valid (the loader already refused anything else),
every secret the configuration needs present, every service the RA must reach answering.
Services only users reach (public_base_url, pki.base_url) are not asked."""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from limits.storage import storage_from_string
from sqlalchemy.exc import SQLAlchemyError

from ra_console.adapters.migrate import pending
from ra_console.adapters.runtime import load_profiles
from ra_console.core.config import SECRET_ENV

TIMEOUT = 10


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "fail"
    what: str
    detail: str


def check_configuration(runtime, environ) -> list[Finding]:
    config = runtime.config
    _, profile_cas = load_profiles(config)
    used_cas = set(profile_cas.values())
    keys = [key for key in config if key not in SECRET_ENV]
    source = environ.get("RA_CONFIG") or "no site file"
    return [Finding("ok", "configuration", f"{len(keys)} keys valid ({source})"),
            *_secrets(config, environ, used_cas), *_files(config, used_cas),
            *_services(runtime, used_cas)]


def _needed(present: bool, what: str, why: str) -> Finding:
    return Finding("ok", what, "set") if present else Finding("fail", what, f"missing: {why}")


def _secrets(config, environ, used_cas: set[str]) -> list[Finding]:
    found = []
    if environ.get("RA_SECRET_KEY"):
        found.append(Finding("ok", "RA_SECRET_KEY", "set"))
    else:
        found.append(Finding("warn", "RA_SECRET_KEY", "unset: <instance_path>/secret_key "
                             "signs the sessions; several machines need the same key"))
    if config["mail.username"]:
        found.append(_needed(bool(config["mail_password"]), "RA_MAIL_PASSWORD",
                             "mail.username is set"))
    if config["auth.mode"] == "header" and not config["auth.proxy_secret"]:
        found.append(Finding("warn", "RA_PROXY_SECRET", "unset: the app cannot know whether "
                             "the proxy strips client-sent identity headers"))
    if config["auth.mode"] == "oidc" and not config["auth.oidc_client_secret"]:
        found.append(Finding("warn", "RA_OIDC_CLIENT_SECRET", "unset: a public client"))
    if "harica" in used_cas:
        found.append(_needed(bool(config["harica_api_key"]), "RA_HARICA_API_KEY",
                             "a profile uses HARICA"))
    if "sectigo" in used_cas:
        key = "sectigo_client_secret" if config["sectigo.auth"] == "oauth2" \
            else "sectigo_password"
        found.append(_needed(bool(config[key]), SECRET_ENV[key], "a profile uses Sectigo"))
    if config["directory.enabled"] and config["directory.bind_dn"]:
        found.append(_needed(bool(config["directory_bind_password"]),
                             "RA_DIRECTORY_BIND_PASSWORD", "directory.bind_dn is set"))
    if config["ldap_sync.enabled"] and config["ldap_sync.bind_dn"]:
        found.append(_needed(bool(config["ldap_sync_bind_password"]),
                             "RA_LDAP_SYNC_BIND_PASSWORD", "ldap_sync.bind_dn is set"))
    return found


def _files(config, used_cas: set[str]) -> list[Finding]:
    found = []
    if "local" in used_cas:
        ca = Path(config["pki.local_ca_path"]) / "ca.json"
        found.append(Finding("ok", "local CA", str(ca.parent)) if ca.exists() else Finding(
            "fail", "local CA", f"{ca.parent} has no CA: run ra-console ca init"))
    if config["mail.sign"]:
        for key in ("mail.signing_cert", "mail.signing_key"):
            path = Path(config[key])
            found.append(Finding("ok", key, str(path)) if path.is_file() else Finding(
                "fail", key, f"{path} is missing: run ra-console ca init"))
    return found


def _reach_ldap(config, key: str) -> Finding:
    url = urlsplit(config[key])
    port = url.port or (636 if url.scheme == "ldaps" else 389)
    return _ask(key, config[key], lambda: socket.create_connection((url.hostname, port),
                                                                   TIMEOUT).close())


def _services(runtime, used_cas: set[str]) -> list[Finding]:
    config = runtime.config
    found = [_database(runtime)]
    if not config["mail.catcher"]:
        found.append(_ask("mail.server", f"{config['mail.server']}:{config['mail.port']}",
                          lambda: _smtp(config)))
    for section in ("directory", "ldap_sync"):
        if config[f"{section}.enabled"]:
            found.append(_reach_ldap(config, f"{section}.url"))
    if config["auth.mode"] == "oidc":
        issuer = config["auth.oidc_issuer"].rstrip("/")
        found.append(_ask("auth.oidc_issuer", issuer, lambda: _discovery(issuer)))
    for ca in sorted(used_cas & {"harica", "sectigo"}):
        url = config[f"{ca}.base_url"]
        found.append(_ask(f"{ca}.base_url", url,
                          lambda url=url: requests.get(url, timeout=TIMEOUT)))
    if not config["limits.storage_url"].startswith("memory://"):
        found.append(_ask("limits.storage_url", urlsplit(config["limits.storage_url"]).netloc,
                          lambda: _storage(config["limits.storage_url"])))
    return found


def _database(runtime) -> Finding:
    try:
        with runtime.engine.connect() as connection:
            missing = pending(connection)
    except SQLAlchemyError as exc:
        return Finding("fail", "database_url", f"unreachable: {exc.__class__.__name__}: "
                       f"{str(exc).splitlines()[0][:200]}")
    if missing:
        return Finding("fail", "database_url", f"{len(missing)} migrations not applied: run "
                       "ra-console db upgrade")
    return Finding("ok", "database_url", "reachable, migrations current")


def _ask(what: str, where: str, call) -> Finding:
    try:
        call()
    except (OSError, smtplib.SMTPException, requests.RequestException, ValueError) as exc:
        return Finding("fail", what, f"{where} unreachable: {exc.__class__.__name__}: {exc}"[:300])
    return Finding("ok", what, f"{where} answers")


def _smtp(config) -> None:
    client = smtplib.SMTP_SSL if config["mail.use_ssl"] else smtplib.SMTP
    with client(config["mail.server"], config["mail.port"], timeout=TIMEOUT) as smtp:
        smtp.ehlo()
        if config["mail.use_tls"]:
            smtp.starttls()


def _discovery(issuer: str) -> None:
    answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    answer.raise_for_status()
    if answer.json().get("issuer", "").rstrip("/") != issuer:
        raise ValueError("the discovery document names another issuer")


def _storage(url: str) -> None:
    if not storage_from_string(url).check():
        raise ValueError("the rate-limit storage does not answer")
