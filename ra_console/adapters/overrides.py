"""RA admins' overrides of certificate profiles and CA connections.

The configuration defines which profiles exist and their defaults. An RA admin may override
some fields of a profile, and the non-secret keys of a remote CA connection, in the console;
the overrides are `Setting` rows (`profile:<name>`, `ca:harica`, `ca:sectigo`). Here: the
rules (the same as at start-up) and the effective values, configuration merged with
overrides. No I/O: storage is services/settings.py, the per-process snapshot runtime.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping

from ra_console.adapters.ca.harica import HaricaCM
from ra_console.adapters.ca.sectigo import SectigoSCM
from ra_console.core.config import PROBLEMS as CONFIG_PROBLEMS, value_problem
from ra_console.pki.profiles import CertificateProfile, ProfileError, profile_from_mapping

log = logging.getLogger(__name__)

CA_NAMES = ("local", "harica", "sectigo")
# Profile fields an RA admin may change (validation, and which profiles exist, stay config).
PROFILE_FIELDS = ("ca", "validity_days", "key_algorithms", "renewal_window_days",
                  "approval_required", "fixed_subject")
# Non-secret keys of [harica] / [sectigo] an RA admin may change.
CA_KEYS = {
    "harica": ("base_url", "organization_id", "cert_types", "timeout_seconds",
               "trust_anchors"),
    "sectigo": ("base_url", "auth", "token_url", "client_id", "login", "customer_uri",
                "org_id", "cert_types", "timeout_seconds", "trust_anchors"),
}
# Secrets of each remote CA: config key -> environment variable (never shown, never stored).
CA_SECRETS = {
    "harica": {"harica_api_key": "RA_HARICA_API_KEY"},
    "sectigo": {"sectigo_client_secret": "RA_SECTIGO_CLIENT_SECRET",
                "sectigo_password": "RA_SECTIGO_PASSWORD"},
}
URL_KEYS = ("base_url", "token_url")
KEY_LENGTH = 64  # Setting.key


# Rules of the console's own (the others come from pki.profiles and core.config).
PROBLEMS = {
    "unknown_ca": "unknown CA '%(value)s' (one of %(choices)s)",
    "no_profile": "no profile named '%(name)s'",
    "name_too_long": "longer than %(limit)s characters",
    "not_editable": "cannot be changed in the console",
    "no_remote_ca": "no remote CA named '%(name)s'",
    "anchors_unreadable": "cannot be read (%(reason)s)",
    "not_url": "must start with https://",
}


class OverrideError(ValueError):
    """An invalid value: `field` names the profile field or CA key; `code` and `params`
    say why, for a message in the reader's language (a key of PROBLEMS here, of
    pki.profiles.PROBLEMS or of core.config.PROBLEMS: the three share one namespace)."""

    def __init__(self, field: str, code: str, text: str, **params):
        super().__init__(f"{field}: {text}")
        self.field, self.code, self.params, self.text = field, code, params, text

    @classmethod
    def own(cls, field: str, code: str, **params) -> OverrideError:
        return cls(field, code, PROBLEMS[code] % params, **params)


def profile_key(name: str) -> str:
    return f"profile:{name}"


def ca_key(name: str) -> str:
    return f"ca:{name}"


def profile_with_ca(name: str, mapping: Mapping[str, Any]) -> tuple[CertificateProfile, str]:
    """A profile and its CA name from a [profiles.<name>] mapping; OverrideError otherwise."""
    mapping = dict(mapping)
    ca = mapping.pop("ca", "local")
    if ca not in CA_NAMES:
        raise OverrideError.own("ca", "unknown_ca", value=ca, choices=", ".join(CA_NAMES))
    try:
        return profile_from_mapping(name, mapping), ca
    except ProfileError as exc:
        raise OverrideError(exc.field, exc.code, exc.text, **exc.params) from None


def profile_values(profile: CertificateProfile, ca: str) -> dict[str, Any]:
    """The editable fields of a profile as JSON-ready values (lists, not tuples)."""
    return {"ca": ca, "validity_days": profile.validity_days,
            "key_algorithms": list(profile.key_algorithms),
            "renewal_window_days": profile.renewal_window_days,
            "approval_required": profile.approval_required,
            "fixed_subject": [list(pair) for pair in profile.fixed_subject]}


def check_profile_override(config: Mapping[str, Any], name: str,
                           values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the admin's values for profile `name` against the start-up rules; return
    the override to store: only the fields that differ from the configuration."""
    if name not in config["profiles"]:
        raise OverrideError.own("name", "no_profile", name=name)
    if len(profile_key(name)) > KEY_LENGTH:
        raise OverrideError.own("name", "name_too_long", limit=KEY_LENGTH - len("profile:"))
    unknown = sorted(set(values) - set(PROFILE_FIELDS))
    if unknown:
        raise OverrideError.own(unknown[0], "not_editable")
    configured = profile_values(*profile_with_ca(name, config["profiles"][name]))
    merged = {**config["profiles"][name], **values}
    wanted = profile_values(*profile_with_ca(name, merged))
    return {key: value for key, value in wanted.items() if value != configured[key]}


def check_ca_override(config: Mapping[str, Any], ca: str,
                      values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate values for the keys of [harica] / [sectigo] with the start-up rules (type,
    choices, ranges, URLs, readable trust anchors); return only those that differ."""
    if ca not in CA_KEYS:
        raise OverrideError.own("ca", "no_remote_ca", name=ca)
    override = {}
    for key, value in values.items():
        if key not in CA_KEYS[ca]:
            raise OverrideError.own(key, "not_editable")
        check_ca_value(config, ca, key, value)
        if value != config[f"{ca}.{key}"]:
            override[key] = value
    merged = {**config, **{f"{ca}.{k}": v for k, v in override.items()}}
    try:  # what the connector does with them: refuse a bad URL, read the anchors
        build_connector(merged, ca)
    except (OSError, ValueError) as exc:  # the URLs are checked above: the anchors
        raise OverrideError.own("trust_anchors", "anchors_unreadable", reason=str(exc)) from None
    return override


def check_ca_value(config: Mapping[str, Any], ca: str, key: str, value: Any) -> None:
    problem = value_problem(f"{ca}.{key}", value, config[f"{ca}.{key}"])
    if problem is not None:
        code, params = problem
        raise OverrideError(key, code, CONFIG_PROBLEMS[code] % params, **params)
    if key in URL_KEYS and not str(value).startswith(("https://", "http://")):
        raise OverrideError.own(key, "not_url")


def build_connector(config: Mapping[str, Any], ca: str):
    """A remote CA connector built from (effective) configuration."""
    if ca == "harica":

        return HaricaCM(dict(config))

    return SectigoSCM(dict(config))


@dataclass(frozen=True)
class Effective:
    """Configuration merged with the override rows (`rows`: key -> stored value)."""
    rows: dict[str, Any]
    profiles: dict[str, CertificateProfile]
    cas: dict[str, str]
    ca_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    # overrides that no longer fit the configuration (ignored, configuration in force)
    problems: dict[str, str] = field(default_factory=dict)


def effective(config: Mapping[str, Any], rows: Mapping[str, Any]) -> Effective:
    profiles, cas, problems = {}, {}, {}
    for name, mapping in config["profiles"].items():
        override = rows.get(profile_key(name))
        if isinstance(override, dict) and override:
            values = {k: v for k, v in override.items() if k in PROFILE_FIELDS}
            try:
                profiles[name], cas[name] = profile_with_ca(name, {**mapping, **values})
                continue
            except OverrideError as exc:
                problems[profile_key(name)] = str(exc)
                log.error("override of profile %s ignored: %s", name, exc)
        profiles[name], cas[name] = profile_with_ca(name, mapping)
    ca_overrides = {}
    for ca, keys in CA_KEYS.items():
        override = rows.get(ca_key(ca))
        valid = {}
        for key, value in (override.items() if isinstance(override, dict) else ()):
            try:
                if key not in keys:
                    raise OverrideError.own(key, "not_editable")
                check_ca_value(config, ca, key, value)
                valid[key] = value
            except OverrideError as exc:
                problems[ca_key(ca)] = str(exc)
                log.error("override of %s ignored: %s", ca_key(ca), exc)
        ca_overrides[ca] = valid
    return Effective(dict(rows), profiles, cas, ca_overrides, problems)
