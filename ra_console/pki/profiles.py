"""Certificate profiles: what the RA puts into a certificate besides the person's data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ra_console.pki.keys import DEFAULT_ALGORITHMS, is_allowed_name

MAX_VALIDITY_DAYS = 825  # SBR §6.3.2, strict and multipurpose

# SBR policy OIDs 2.23.140.1.5.{type}.{generation}; only the strict generation is issued.
POLICY_OIDS = {
    "sponsor": "2.23.140.1.5.3.3",  # sponsor-validated strict
    "mailbox": "2.23.140.1.5.1.3",  # mailbox-validated strict
}

# Subject attributes a profile may fix. Street and postal code are SHALL NOT in strict.
# Values are upper bounds from RFC 5280 Appendix A (ub-*).
FIXED_ATTRIBUTES = {"C": 2, "ST": 128, "L": 128, "O": 64, "OU": 64, "organizationIdentifier": 64}
# Sponsor-validated needs both (SBR §7.1.4.2.2); pkilint reports an ERROR otherwise.
SPONSOR_REQUIRED = ("O", "organizationIdentifier")

# scheme (3 letters) + country (2) + optional "+state" + "-" + reference; SBR §7.1.4.2.2 (d)
_ORG_ID_RE = re.compile(r"(?P<scheme>[A-Z]{3})(?P<country>[A-Z]{2})(\+[A-Z0-9]{1,3})?-.+")
_FIELDS = (
    "validation",
    "fixed_subject",
    "validity_days",
    "key_algorithms",
    "renewal_window_days",
    "approval_required",
)


# Why a profile value is refused: code -> English text (logs, start-up errors). The console
# shows the same rule in the reader's language from the code (web/messages.py).
PROBLEMS = {
    "not_text": "must be a non-empty string",
    "not_a_choice": "must be one of %(choices)s",
    "not_bool": "must be true or false",
    "between": "must be a whole number between %(low)s and %(high)s",
    "empty_list": "must be a non-empty list",
    "not_list": "must be a list",
    "algorithm": "unsupported algorithm %(value)s",
    "not_pairs": "must be a tuple of (attribute, value) pairs",
    "not_attribute_mapping": "must be a mapping of attribute to value",
    "attribute": "unsupported attribute %(value)s",
    "attribute_twice": "attribute %(value)s given twice",
    "attribute_empty": "%(attr)s must be a non-empty trimmed string",
    "attribute_too_long": "%(attr)s longer than %(limit)s",
    "mailbox_subject": "must be empty for mailbox-validated profiles",
    "sponsor_needs": "sponsor-validated needs %(attrs)s",
    "country_code": "C must be a two-letter country code",
    "org_identifier": "organizationIdentifier must look like 'VATDE-DE123456789'",
    "org_identifier_country": "organizationIdentifier country differs from C",
    "needs_country": "%(attr)s needs C as well",
    "not_mapping": "must be a mapping",
    "unknown_key": "unknown profile key",
    "missing": "missing",
}


class ProfileError(ValueError):
    """A profile value breaks a rule: `field`, `code` (a key of PROBLEMS) and `params`."""

    def __init__(self, field: str, code: str, **params):
        self.field, self.code, self.params = field, code, params
        self.text = PROBLEMS[code] % params
        super().__init__(f"{field}: {self.text}")


@dataclass(frozen=True)
class CertificateProfile:
    """A configured certificate type; invalid values raise ProfileError naming the field."""

    name: str
    validation: str
    fixed_subject: tuple[tuple[str, str], ...] = ()
    validity_days: int = 365
    key_algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    renewal_window_days: int = 28
    approval_required: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ProfileError("name", "not_text")
        if self.validation not in POLICY_OIDS:
            raise ProfileError("validation", "not_a_choice", choices=", ".join(sorted(POLICY_OIDS)))
        _check_int("validity_days", self.validity_days, 1, MAX_VALIDITY_DAYS)
        _check_int("renewal_window_days", self.renewal_window_days, 0, self.validity_days - 1)
        if not isinstance(self.approval_required, bool):
            raise ProfileError("approval_required", "not_bool")
        _check_key_algorithms(self.key_algorithms)
        _check_fixed_subject(self.validation, self.fixed_subject)

    @property
    def policy_oid(self) -> str:
        """The SBR certificatePolicies OID for this profile."""
        return POLICY_OIDS[self.validation]

    @property
    def fixed(self) -> dict[str, str]:
        """The fixed subject attributes as a dict (for display)."""
        return dict(self.fixed_subject)


def _check_int(key: str, value, low: int, high: int) -> None:
    # bool is an int subclass; "true" for a day count is a config mistake
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProfileError(key, "between", low=low, high=high)


def _check_key_algorithms(algorithms) -> None:
    if not isinstance(algorithms, tuple) or not algorithms:
        raise ProfileError("key_algorithms", "empty_list")
    for algorithm in algorithms:
        if not is_allowed_name(algorithm):  # SBR §6.1.5
            raise ProfileError("key_algorithms", "algorithm", value=repr(algorithm))


def _check_fixed_subject(validation: str, pairs) -> None:
    if not isinstance(pairs, tuple):
        raise ProfileError("fixed_subject", "not_pairs")
    seen: dict[str, str] = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ProfileError("fixed_subject", "not_pairs")
        attr, value = pair
        if attr not in FIXED_ATTRIBUTES:
            raise ProfileError("fixed_subject", "attribute", value=repr(attr))
        if attr in seen:
            raise ProfileError("fixed_subject", "attribute_twice", value=repr(attr))
        if not isinstance(value, str) or value != value.strip() or not value:
            raise ProfileError("fixed_subject", "attribute_empty", attr=attr)
        if len(value) > FIXED_ATTRIBUTES[attr]:
            raise ProfileError("fixed_subject", "attribute_too_long", attr=attr,
                               limit=FIXED_ATTRIBUTES[attr])
        seen[attr] = value
    if validation == "mailbox" and seen:
        # mailbox-validated certificates must not carry organisation data (SBR §7.1.4.2.2)
        raise ProfileError("fixed_subject", "mailbox_subject")
    if validation == "sponsor":
        missing = [a for a in SPONSOR_REQUIRED if a not in seen]
        if missing:
            raise ProfileError("fixed_subject", "sponsor_needs", attrs=", ".join(missing))
    country = seen.get("C")
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise ProfileError("fixed_subject", "country_code")
    org_id = seen.get("organizationIdentifier")
    if org_id is not None:
        match = _ORG_ID_RE.fullmatch(org_id)
        if not match:
            raise ProfileError("fixed_subject", "org_identifier")
        if country and match["country"] not in (country, "XG"):
            raise ProfileError("fixed_subject", "org_identifier_country")
    for attr in ("ST", "L"):
        if attr in seen and country is None:
            raise ProfileError("fixed_subject", "needs_country", attr=attr)


def profile_from_mapping(name: str, mapping: Mapping) -> CertificateProfile:
    """Build a profile from config (e.g. YAML); fixed_subject may be a mapping or pairs."""
    if not isinstance(mapping, Mapping):
        raise ProfileError(f"profile {name!r}", "not_mapping")
    unknown = sorted(str(k) for k in mapping if k not in _FIELDS)
    if unknown:
        raise ProfileError(unknown[0], "unknown_key")
    if "validation" not in mapping:
        raise ProfileError("validation", "missing")
    kwargs = dict(mapping)
    fixed = kwargs.get("fixed_subject", ())
    if isinstance(fixed, Mapping):
        fixed = fixed.items()
    try:
        kwargs["fixed_subject"] = tuple(tuple(p) for p in fixed)
    except TypeError:
        raise ProfileError("fixed_subject", "not_attribute_mapping") from None
    algorithms = kwargs.get("key_algorithms", CertificateProfile.key_algorithms)
    if isinstance(algorithms, str):
        raise ProfileError("key_algorithms", "not_list")
    try:
        kwargs["key_algorithms"] = tuple(algorithms)
    except TypeError:
        raise ProfileError("key_algorithms", "not_list") from None
    return CertificateProfile(name=name, **kwargs)
