"""The checks every received certificate passes before it is offered (no database)."""

from __future__ import annotations

from cryptography import x509

from ra_console.adapters.ca.checks import check_received
from ra_console.models import Certificate
from ra_console.pki.certificates import SubjectSpec

ERIKA = "erika.mustermann@uni.example.org"


def _row(csr_pem: str, **overrides) -> Certificate:
    values = {"addresses": [ERIKA], "given_name": "Erika", "surname": "Mustermann",
              "common_name": "Erika Mustermann", "csr_pem": csr_pem}
    values.update(overrides)
    return Certificate(person_id=1, mailbox_id=1, status="sent", profile="personal",
                       key_algorithm="RSA-2048", spki_sha256="x", **values)


def _issue(fake_ca, csr_pem, **spec):
    spec = {"given_name": "Erika", "surname": "Mustermann", "common_name": None,
            "emails": (ERIKA,), **spec}
    return fake_ca.issue(csr_pem, SubjectSpec(**spec), "sponsor", 365)


def codes(problems):
    return sorted(p.code for p in problems)


def test_clean_certificate_passes(fake_ca, new_csr, clock):
    csr = new_csr()[1].decode()
    leaf, issuing, root = _issue(fake_ca, csr)
    row = _row(csr)
    assert check_received(row, leaf, [issuing, root], [], clock()) == []
    assert check_received(row, leaf, [issuing], [], clock()) == []  # CA sent no root
    assert check_received(row, leaf, [issuing], [root], clock()) == []  # configured root


def test_each_difference_is_found(fake_ca, new_csr, clock, ca_template, tmp_path):
    csr = new_csr()[1].decode()
    leaf, issuing, root = _issue(fake_ca, csr, emails=(ERIKA, "other@uni.example.org"),
                                 given_name="Erik")
    assert codes(check_received(_row(new_csr()[1].decode()), leaf, [issuing, root], [],
                                clock())) == ["address_mismatch", "key_mismatch",
                                              "name_mismatch", "name_mismatch"]
    stranger = x509.load_pem_x509_certificate(
        (ca_template.parent / "mail-signer.crt").read_bytes())  # not this chain's root
    leaf, issuing, root = _issue(fake_ca, csr)
    assert codes(check_received(_row(csr), leaf, [issuing], [stranger], clock())) == [
        "chain_invalid"]
    assert codes(check_received(_row(csr), leaf, [], [], clock())) == ["chain_invalid"]


def test_functional_mailbox_has_no_personal_name(fake_ca, new_csr, clock):
    csr = new_csr()[1].decode()
    leaf, issuing, root = _issue(fake_ca, csr)  # a personal certificate
    row = _row(csr, given_name=None, surname=None, common_name=None)
    assert "name_mismatch" in codes(check_received(row, leaf, [issuing, root], [], clock()))
