"""Configuration: defaults.toml, then the site file (RA_CONFIG), then RA_* environment."""

from __future__ import annotations

import logging
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULTS_FILE = PROJECT_ROOT / "config" / "defaults.toml"

# Sections whose sub-keys are free-form (validated by their own consumer).
OPEN_SECTIONS = {"profiles"}
# Secrets: only from the environment (or the instance folder), never from a file.
SECRET_ENV = {"secret_key": "RA_SECRET_KEY", "audit_key": "RA_AUDIT_KEY",
              "mail_password": "RA_MAIL_PASSWORD",
              "auth.oidc_client_secret": "RA_OIDC_CLIENT_SECRET",
              "auth.proxy_secret": "RA_PROXY_SECRET",
              "metrics.token": "RA_METRICS_TOKEN",
              "harica_api_key": "RA_HARICA_API_KEY",
              "sectigo_client_secret": "RA_SECTIGO_CLIENT_SECRET",
              "sectigo_password": "RA_SECTIGO_PASSWORD",
              "directory_bind_password": "RA_DIRECTORY_BIND_PASSWORD",
              "ldap_sync_bind_password": "RA_LDAP_SYNC_BIND_PASSWORD"}
# RA_* variables that are not configuration keys (`ra-console p12` reads the two passwords).
NON_CONFIG_ENV = {"RA_CONFIG", "RA_REQUIRE_ALL", "RA_TEST_DATABASE_URL", "RA_JSON_PASSWORD",
                  "RA_P12_PASSWORD", "RA_FAULT_SLEEP_AFTER_SIGNING"}
SUPPORTED_LANGUAGES = {"de", "en"}
CHOICES = {"auth.mode": {"dev", "header", "oidc"}, "sectigo.auth": {"oauth2", "password"},
           "audit.witness_fsync": {"always", "never"}, "logging.format": {"text", "json"},
           "logging.level": {"DEBUG", "INFO", "WARNING", "ERROR"}}
NON_NEGATIVE = {"auth.proxy_hops", "alerts.web_check_seconds", "settings_cache_seconds", "lifecycle.breaker_minimum"}
POSITIVE = {
    "pki.crl_refresh_hours", "addresses.challenge_valid_hours",
    "auth.session_lifetime_minutes", "auth.session_idle_minutes", "jobs.interval_seconds",
    "jobs.batch_size", "jobs.max_attempts", "jobs.backoff_seconds", "max_upload_bytes",
    "auth.oidc_timeout_seconds", "health.runner_silent_seconds", "health.crl_warning_hours",
    "alerts.runner_silent_minutes", "alerts.crl_expiry_hours",
    "problem_reports.response_hours",
    "harica.timeout_seconds", "sectigo.timeout_seconds", "directory.timeout_seconds",
    "ldap_sync.page_size", "ldap_sync.timeout_seconds", "ldap_sync.interval_seconds",
    "ldap_sync.full_interval_seconds",
}


class ConfigError(Exception):
    """A configuration key is unknown or has an invalid value."""


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in OPEN_SECTIONS:
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _env_name(key: str) -> str:
    return "RA_" + key.replace(".", "_").upper()


def _coerce_env(key: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{_env_name(key)}: expected true or false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{_env_name(key)}: expected a whole number, got {raw!r}") from None
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


# Why a value is refused: code -> English text. The console shows the same rule in the
# reader's language from the code (web/messages.py); start-up errors stay English.
PROBLEMS = {
    "wrong_type": "must be of type %(expected)s, got %(got)s",
    "not_a_choice": "must be one of %(choices)s",
    "languages": "must list some of %(choices)s",
    "timezone": "must be a time zone name like Europe/Berlin",
    "positive": "must be greater than 0",
    "not_negative": "must not be negative",
    "challenge_hours": "must be at most 24 (S/MIME BR 3.2.2.2)",
    "identity_days": "must be between 1 and 825 (S/MIME BR 4.2.1)",
    "document_types": "may list passport, id_card, residence_permit",
    "max_aliases": "must be between 0 and 5",
    "grace_days": "must be between 0 and 5 (S/MIME BR 4.9.1.1)",
    "reminder_days": "must list whole numbers of days above 0",
    "cert_types": "must list 'profile=CA type' entries",
    "required_attributes": "may list %(choices)s",
    "percent": "must be between 1 and 100",
}
SIGN_IN_ATTRIBUTES = ("email", "given_name", "surname", "affiliation")


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def value_problem(key: str, value: Any, default: Any) -> tuple[str, dict[str, Any]] | None:
    """(code, params) when `value` breaks a rule for `key` (a key of PROBLEMS), else None."""
    expected = type(default)
    if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, expected):
        return "wrong_type", {"expected": expected.__name__, "got": type(value).__name__}
    if key in CHOICES and value not in CHOICES[key]:
        return "not_a_choice", {"choices": str(sorted(CHOICES[key]))}
    if key == "languages" and (not value or set(value) - SUPPORTED_LANGUAGES):
        return "languages", {"choices": str(sorted(SUPPORTED_LANGUAGES))}
    if key == "timezone" and not _is_time_zone(value):
        return "timezone", {}
    if key in POSITIVE and value <= 0:
        return "positive", {}
    if key in NON_NEGATIVE and value < 0:
        return "not_negative", {}
    if key == "addresses.challenge_valid_hours" and value > 24:
        return "challenge_hours", {}
    if key == "identity.valid_days" and not 1 <= value <= 825:
        return "identity_days", {}
    if key == "identity.document_types" and (
            not value or set(value) - {"passport", "id_card", "residence_permit"}):
        return "document_types", {}
    if key == "addresses.max_aliases" and not 0 <= value <= 5:
        return "max_aliases", {}
    if key == "lifecycle.offboarding_grace_days" and not 0 <= value <= 5:
        return "grace_days", {}
    if key == "lifecycle.reminder_days" and not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value):
        return "reminder_days", {}
    if key in ("harica.cert_types", "sectigo.cert_types") and not all(
            isinstance(e, str) and e.partition("=")[0] and e.partition("=")[2] for e in value):
        return "cert_types", {}
    if key == "lifecycle.breaker_percent" and not 1 <= value <= 100:
        return "percent", {}
    if key == "auth.required_attributes" and set(value) - set(SIGN_IN_ATTRIBUTES):
        return "required_attributes", {"choices": ", ".join(SIGN_IN_ATTRIBUTES)}
    return None


def _check_value(key: str, value: Any, default: Any, source: str) -> None:
    problem = value_problem(key, value, default)
    if problem is not None:
        code, params = problem
        raise ConfigError(f"{source}: key '{key}' {PROBLEMS[code] % params}")
    if key == "auth.role_map":
        for entry in value:
            _check_role_map_entry(source, entry)
    if key == "ldap_sync.affiliation_map":
        for entry in value:
            if not (isinstance(entry, str) and all(entry.partition("=")[::2])):
                raise ConfigError(f"{source}: key '{key}': bad entry {entry!r} (use "
                                  "'value=ra-value')")


MAPPABLE_ROLES = {"network_contact", "id_verifier", "ra_admin", "auditor"}


def _check_role_map_entry(source: str, entry: Any) -> None:
    value, _, target = str(entry).rpartition("=")
    role, _, institute = target.partition(":")
    if not value or role not in MAPPABLE_ROLES or (role == "network_contact") != bool(
            institute):
        raise ConfigError(f"{source}: key 'auth.role_map': bad entry {entry!r} (use "
                          "'value=role' or 'value=network_contact:INSTITUTE')")


def _merge_file(config: dict[str, Any], path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    for key, value in _flatten(data).items():
        if key in SECRET_ENV:
            raise ConfigError(f"{path}: key '{key}' is a secret: set {SECRET_ENV[key]} instead")
        if key.split(".")[0] in OPEN_SECTIONS and key not in OPEN_SECTIONS:
            raise ConfigError(f"{path}: unknown key '{key}'")
        if key not in config:
            raise ConfigError(f"{path}: unknown key '{key}'")
        if key in OPEN_SECTIONS:
            _merge_open_section(config, key, value, path)
            continue
        _check_value(key, value, config[key], str(path))
        config[key] = value


def _merge_open_section(config: dict[str, Any], key: str, value: Any, path: Path) -> None:
    """[profiles.<name>] tables: a site may add profiles or change single keys of one."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(f"{path}: key '{key}' must hold tables like [{key}.<name>]")
    merged = dict(config[key])
    for name, table in value.items():
        merged[name] = {**merged.get(name, {}), **table}
    config[key] = merged


def _merge_env(config: dict[str, Any], environ: Mapping[str, str]) -> None:
    known = {_env_name(key): key for key in config if key not in OPEN_SECTIONS}
    for name, raw in environ.items():
        if not name.startswith("RA_") or name in NON_CONFIG_ENV:
            continue
        if name in SECRET_ENV.values():
            continue
        if name not in known:
            raise ConfigError(f"environment: unknown configuration variable '{name}'")
        key = known[name]
        value = _coerce_env(key, raw, config[key])
        _check_value(key, value, config[key], "environment")
        config[key] = value


def load_config(environ: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the flat configuration (dotted keys) for this process."""
    environ = os.environ if environ is None else environ
    config = _flatten(tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8")))
    if environ.get("RA_CONFIG"):
        _merge_file(config, Path(environ["RA_CONFIG"]))
    _merge_env(config, environ)
    for key, value in (overrides or {}).items():
        if key not in config and key not in SECRET_ENV:
            raise ConfigError(f"overrides: unknown key '{key}'")
        config[key] = value
    _resolve_paths(config)
    for key, env in SECRET_ENV.items():
        config.setdefault(key, environ.get(env, ""))
    for key in ("secret_key", "audit_key"):
        if not config[key]:
            config[key] = _instance_secret(Path(config["instance_path"]), key)
    if config["auth.mode"] == "dev" and not config["demo"]:
        raise ConfigError("key 'auth.mode': 'dev' sign-in is allowed only with demo = true")
    if config["auth.mode"] == "oidc":
        _check_oidc(config)
    if config["auth.mode"] == "header":
        _check_header_mode(config)
    return config


def identity_header_keys(config: Mapping[str, Any]) -> list[str]:
    """The keys naming a request header the app reads in header mode (auth.header_*): the
    proxy must strip every client-sent copy of each."""
    return [key for key in config
            if key.startswith("auth.header_") and key != "auth.header_separator"]


def _check_header_mode(config: dict[str, Any]) -> None:
    """Roles from a header are only as safe as the proxy that strips the client's copy.
    The app cannot see the proxy's configuration, but it can demand a secret only the proxy
    knows: with role_map, no secret means no start."""
    if config["auth.role_map"] and not config["auth.proxy_secret"]:
        raise ConfigError(
            "key 'auth.role_map' in header mode needs RA_PROXY_SECRET: set it in the "
            "environment and have the proxy send it in the header named by "
            "auth.header_proxy_secret (see docs/deployment.md). Without it the app cannot "
            "know that the proxy strips a client-sent "
            f"{config['auth.header_groups']} header, and anyone could claim any role.")
    if not config["auth.proxy_secret"]:
        log.warning(
            "header mode without RA_PROXY_SECRET: the app cannot know whether the proxy "
            "strips client-sent identity headers (%s); every request from "
            "auth.trusted_proxies is believed", ", ".join(
                config[key] for key in identity_header_keys(config)
                if key != "auth.header_proxy_secret"))


def _check_oidc(config: dict[str, Any]) -> None:
    """auth.mode = "oidc" needs a usable issuer URL, a client id and the openid scope."""
    from urllib.parse import urlsplit

    issuer = urlsplit(config["auth.oidc_issuer"])
    loopback = issuer.hostname in {"localhost", "::1"} or (
        issuer.hostname or "").startswith("127.")
    if not issuer.hostname or issuer.query or issuer.fragment or not (
            issuer.scheme == "https" or (issuer.scheme == "http" and loopback)):
        raise ConfigError("key 'auth.oidc_issuer': an https URL is required in oidc mode "
                          "(http only on a loopback address)")
    if not config["auth.oidc_client_id"]:
        raise ConfigError("key 'auth.oidc_client_id' is required in oidc mode")
    if "openid" not in config["auth.oidc_scopes"]:
        raise ConfigError("key 'auth.oidc_scopes' must contain 'openid'")
    if not config["auth.oidc_claim_username"]:
        raise ConfigError("key 'auth.oidc_claim_username' must name at least one claim")
    after_logout = urlsplit(config["auth.oidc_post_logout_redirect_uri"])
    if config["auth.oidc_post_logout_redirect_uri"] and (
            after_logout.scheme not in {"http", "https"} or not after_logout.hostname):
        raise ConfigError("key 'auth.oidc_post_logout_redirect_uri' must be an absolute URL")


def _resolve_paths(config: dict[str, Any]) -> None:
    instance = Path(config["instance_path"] or "instance").resolve()
    config["instance_path"] = str(instance)
    if not config["database_url"]:
        config["database_url"] = f"sqlite:///{instance / 'ra.sqlite'}"
    if not config["pki.local_ca_path"]:
        config["pki.local_ca_path"] = str(instance / "ca")
    for key, name in (("mail.signing_cert", "mail-signer.crt"),
                      ("mail.signing_key", "mail-signer.key"),
                      ("audit.witness_file", "audit-witness.log")):
        config[key] = config[key] or str(instance / name)


def _instance_secret(instance: Path, name: str) -> str:
    """Read a secret (`secret_key`, `audit_key`) from the instance folder, creating it once
    (0600)."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Write a private temp file, then link it into place: several workers starting at
        # once all end up reading the one file that won.
        temp = instance / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return path.read_text(encoding="ascii").strip()
