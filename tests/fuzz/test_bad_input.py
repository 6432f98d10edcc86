"""Property-based bad input (hypothesis, bounded): parsers raise only their own errors,
forms never answer 500, and a refused input writes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ra_console.pki.csr import CsrError, check_csr
from ra_console.pki.requestfile import RequestFileError, read_request_file
from ra_console.signin.header import identity_from_headers

BOUNDED = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])

PEM_ISH = st.builds(
    lambda body: f"-----BEGIN CERTIFICATE REQUEST-----\n{body}\n"
                 f"-----END CERTIFICATE REQUEST-----\n",
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n",
            max_size=400))


@BOUNDED
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000), PEM_ISH))
def test_csr_checks_raise_only_csr_errors(data):
    with pytest.raises(CsrError):
        check_csr(data)


@pytest.fixture(scope="module")
def real_csr_der():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.DER)


@BOUNDED
@given(position=st.integers(min_value=0, max_value=10_000), value=st.integers(0, 255))
def test_one_changed_byte_of_a_real_csr(real_csr_der, position, value):
    data = bytearray(real_csr_der)
    data[position % len(data)] = value
    try:
        info = check_csr(bytes(data))
    except CsrError:
        return
    assert info.key_bits == 2048  # a change that keeps the CSR valid keeps its key


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                       lambda children: st.lists(children, max_size=4)
                       | st.dictionaries(st.text(max_size=12), children, max_size=6),
                       max_leaves=20)
FIELDS = st.fixed_dictionaries({}, optional={
    "format": st.sampled_from(["ra-console-request", "x", ""]) | st.text(max_size=10),
    "version": st.integers(-1, 3) | st.text(max_size=3),
    "request_id": st.text(max_size=40), "email": st.text(max_size=40),
    "key_algorithm": st.sampled_from(["RSA-2048", "RSA-4096", "EC"]),
    "spki_sha256": st.text(max_size=64), "csr": st.text(max_size=200),
    "private_key": PEM_ISH | st.text(max_size=200)})


@BOUNDED
@given(st.one_of(st.binary(max_size=2000), JSONISH.map(json.dumps), FIELDS.map(json.dumps)))
def test_request_file_reader_raises_only_its_error(data):
    with pytest.raises(RequestFileError):
        read_request_file(data)


HEADER_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                             blacklist_characters="\r\n\x00"), max_size=300)


@BOUNDED
@given(user=HEADER_TEXT, given_name=HEADER_TEXT, email=HEADER_TEXT, affiliation=HEADER_TEXT,
       peer=st.sampled_from(["127.0.0.1", "203.0.113.1", "::1", "not-an-ip"]))
def test_header_parser(user, given_name, email, affiliation, peer):
    from ra_console.core.config import load_config

    config = load_config(environ={"RA_INSTANCE_PATH": "/tmp/ra-fuzz-instance"})
    headers = Headers()
    for name, value in (("X-Remote-User", user), ("X-Remote-Given-Name", given_name),
                        ("X-Remote-Email", email), ("X-Remote-Affiliation", affiliation)):
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            value = value.encode("utf-8").decode("latin-1")  # what a WSGI server delivers
        headers[name] = value
    request = Request(EnvironBuilder(headers=headers,
                                     environ_base={"REMOTE_ADDR": peer}).get_environ())
    identity = identity_from_headers(request, config)
    if peer not in config["auth.trusted_proxies"] or not user.strip():
        assert identity is None
    elif identity is not None:
        assert 0 < len(identity.username) <= 200 and identity.username == identity.username.strip()

