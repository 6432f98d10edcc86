"""Certificate profiles from config."""

from __future__ import annotations

import pytest

from ra_console.pki.profiles import CertificateProfile, profile_from_mapping

PERSON = {
    "validation": "sponsor",
    "fixed_subject": {"C": "DE", "O": "Universität Example",
                      "organizationIdentifier": "VATDE-DE123456789"},
    "validity_days": 730,
}


def test_person_profile_from_mapping():
    profile = profile_from_mapping("person", PERSON)
    assert profile == CertificateProfile(
        name="person",
        validation="sponsor",
        fixed_subject=(("C", "DE"), ("O", "Universität Example"),
                       ("organizationIdentifier", "VATDE-DE123456789")),
        validity_days=730,
    )
    assert profile.policy_oid == "2.23.140.1.5.3.3"
    assert profile.renewal_window_days == 28
    assert profile.approval_required is False
    assert profile.key_algorithms == ("RSA-4096", "RSA-3072", "RSA-2048", "EC-P256", "EC-P384")
    assert profile.fixed["O"] == "Universität Example"


def test_mailbox_profile_from_mapping():
    profile = profile_from_mapping(
        "functional",
        {"validation": "mailbox", "validity_days": 365, "key_algorithms": ["RSA-4096"],
         "approval_required": True, "renewal_window_days": 14},
    )
    assert profile.policy_oid == "2.23.140.1.5.1.3"
    assert profile.fixed_subject == ()
    assert profile.key_algorithms == ("RSA-4096",)
    assert profile.approval_required is True


@pytest.mark.parametrize("algorithms", [["RSA-3072"], ["EC-P256", "EC-P384", "EC-P521"],
                                        ["RSA-8192", "RSA-2048"]])
def test_every_key_the_baseline_requirements_allow(algorithms):
    profile = profile_from_mapping("p", {**PERSON, "key_algorithms": algorithms})
    assert profile.key_algorithms == tuple(algorithms)


def test_profile_is_frozen():
    profile = profile_from_mapping("person", PERSON)
    with pytest.raises(AttributeError):
        profile.validity_days = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"validity_days": 826}, "validity_days"),
        ({"validity_days": 0}, "validity_days"),
        ({"validity_days": "365"}, "validity_days"),
        ({"validity_days": True}, "validity_days"),
        ({"validation": "individual"}, "validation"),
        ({"key_algorithms": ["RSA-1024"]}, "key_algorithms"),
        ({"key_algorithms": ["EC-P224"]}, "key_algorithms"),
        ({"key_algorithms": ["EC-secp256k1"]}, "key_algorithms"),
        ({"key_algorithms": ["RSA-3076"]}, "key_algorithms"),
        ({"key_algorithms": []}, "key_algorithms"),
        ({"key_algorithms": "RSA-4096"}, "key_algorithms"),
        ({"renewal_window_days": -1}, "renewal_window_days"),
        ({"renewal_window_days": 730}, "renewal_window_days"),
        ({"approval_required": "yes"}, "approval_required"),
        ({"colour": "blue"}, "colour"),
        ({"fixed_subject": {"O": "X", "organizationIdentifier": "VATDE-DE1", "CN": "x"}},
         "fixed_subject"),
        ({"fixed_subject": {"O": "X"}}, "fixed_subject"),
        ({"fixed_subject": {"O": "X", "organizationIdentifier": "DE123456789"}},
         "fixed_subject"),
        ({"fixed_subject": {"C": "FR", "O": "X", "organizationIdentifier": "VATDE-DE1"}},
         "fixed_subject"),
        ({"fixed_subject": {"C": "Germany", "O": "X", "organizationIdentifier": "VATDE-DE1"}},
         "fixed_subject"),
        ({"fixed_subject": {"L": "Berlin", "O": "X", "organizationIdentifier": "VATDE-DE1"}},
         "fixed_subject"),
        ({"fixed_subject": {"O": "X" * 65, "organizationIdentifier": "VATDE-DE1"}},
         "fixed_subject"),
        ({"fixed_subject": ["O"]}, "fixed_subject"),
        ({"fixed_subject": 5}, "fixed_subject"),
    ],
)
def test_bad_values_name_the_key(change, key):
    with pytest.raises(ValueError, match=f"^{key}"):
        profile_from_mapping("person", {**PERSON, **change})


def test_mailbox_profile_refuses_organisation_data():
    with pytest.raises(ValueError, match="^fixed_subject"):
        profile_from_mapping("functional", {"validation": "mailbox", "fixed_subject": {"O": "X"}})


def test_missing_validation_and_non_mapping():
    with pytest.raises(ValueError, match="^validation"):
        profile_from_mapping("p", {"validity_days": 30})
    with pytest.raises(ValueError):
        profile_from_mapping("p", ["validation", "sponsor"])


def test_lei_identifier_is_global():
    fixed = {"C": "DE", "O": "X", "organizationIdentifier": "LEIXG-5299000J2N45DDNE4Y28"}
    profile = profile_from_mapping("person", {**PERSON, "fixed_subject": fixed})
    assert profile.fixed["organizationIdentifier"].startswith("LEIXG-")
