"""Parse and check PKCS#10 certificate signing requests uploaded by applicants.

The RA only takes the public key from a CSR; subject and extensions are ignored,
because the RA builds the subject itself (DESIGN §6).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ra_console.pki.filekind import describe
from ra_console.pki.keys import DEFAULT_ALGORITHMS, algorithm_of

DEFAULT_MAX_BYTES = 64 * 1024
REQUIRED_EXPONENT = 65537

# badkeys checks that run purely on the modulus, with data shipped in the wheel.
# "blocklist" is left out on purpose: it needs a downloaded data set and calls
# sys.exit() when that is missing.
OFFLINE_BADKEYS_CHECKS = (
    "fermat",
    "roca",
    "rsainvalid",
    "rsapoly",
    "sharedprimes",
    "smalld",
    "smallfactors",
)

_PEM_RE = re.compile(
    r"-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----(?P<body>[A-Za-z0-9+/=\s]*?)"
    r"-----END (?:NEW )?CERTIFICATE REQUEST-----"
)
_BASE64_RE = re.compile(r"[A-Za-z0-9+/=\s]+")


class CsrError(Exception):
    """A CSR was refused; `code` and `params` are meant for the UI to translate."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(f"{code} {params}" if params else code)
        self.code = code
        self.params: dict = dict(params)


@dataclass(frozen=True)
class CsrInfo:
    """What the RA keeps from an accepted CSR."""

    csr_pem: str
    public_key_der: bytes = field(repr=False)
    spki_sha256: str
    key_algorithm: str
    key_bits: int


def spki_sha256(public_key) -> str:
    """Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _to_der(data: bytes | str) -> bytes:
    """Turn PEM text, bare base64 or DER into DER bytes (raise not_a_csr)."""
    if isinstance(data, bytes):
        if data[:1] == b"\x30":
            return data
        # latin-1 never fails; the armour search below ignores any surrounding text
        text = data.decode("latin-1")
    else:
        text = data
    match = _PEM_RE.search(text)
    if match:
        body = match.group("body")
    elif _BASE64_RE.fullmatch(text.strip() or "-"):
        body = text  # pasted base64 without the armour lines
    else:
        raise CsrError("not_a_csr")
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CsrError("not_a_csr") from None
    if not der:
        raise CsrError("not_a_csr")
    return der


def parse_csr(
    data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> x509.CertificateSigningRequest:
    """Load a CSR from PEM (any whitespace, NEW header variant), bare base64 or DER."""
    if not isinstance(data, (bytes, str)):
        raise CsrError("not_a_csr")
    kind = describe(data)  # before the size rule: a large photo is a photo, not a big CSR
    if kind is not None:
        raise CsrError("not_a_csr", kind=kind)
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise CsrError("too_large", size=size, max_bytes=max_bytes)
    der = _to_der(data)
    try:
        return x509.load_der_x509_csr(der)
    except Exception:  # the library raises several types; none may escape
        raise CsrError("not_a_csr") from None


def _key_type(public_key) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC ({public_key.curve.name})"  # a curve the Baseline Requirements exclude
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA"
    if isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return "EdDSA"
    return "other"


def _weak_key_check(public_key: rsa.RSAPublicKey) -> str | None:
    """Name of the first badkeys finding, or None."""
    import badkeys  # imported lazily: it loads gmpy2 and data files

    numbers = public_key.public_numbers()
    # checkrsa on the already strictly-parsed numbers: checkcsr would re-parse the
    # PEM and report parse trouble only as an "unparseable" result, easy to miss.
    results = badkeys.checkrsa(numbers.n, e=numbers.e, checks=OFFLINE_BADKEYS_CHECKS)
    for check in OFFLINE_BADKEYS_CHECKS:
        if check in results:
            return check
    return None


def check_csr(
    data: bytes | str,
    *,
    allowed_algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CsrInfo:
    """Parse a CSR, verify proof of possession and screen the key; raise CsrError."""
    csr = parse_csr(data, max_bytes=max_bytes)
    try:
        signature_ok = csr.is_signature_valid
    except Exception:  # unsupported signature algorithm and the like
        signature_ok = False
    if not signature_ok:
        raise CsrError("bad_signature")

    allowed = tuple(allowed_algorithms)
    try:
        public_key = csr.public_key()
    except Exception:  # unknown key type or curve
        raise CsrError("key_type_not_allowed", key_type="unknown", allowed=allowed) from None
    algorithm = algorithm_of(public_key)
    if algorithm is None:
        raise CsrError("key_type_not_allowed", key_type=_key_type(public_key), allowed=allowed)
    if algorithm not in allowed:
        if isinstance(public_key, rsa.RSAPublicKey):
            raise CsrError("key_size_not_allowed", bits=public_key.key_size, allowed=allowed)
        raise CsrError("key_type_not_allowed", key_type=algorithm, allowed=allowed)
    # EC points were checked to lie on their curve when the key was loaded; badkeys' only
    # EC check is the blocklist, which needs downloaded data (see above).
    if isinstance(public_key, rsa.RSAPublicKey):
        exponent = public_key.public_numbers().e
        if exponent != REQUIRED_EXPONENT:
            raise CsrError("bad_exponent", exponent=exponent)
        weak = _weak_key_check(public_key)
        if weak:
            raise CsrError("weak_key", check=weak)

    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return CsrInfo(
        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        public_key_der=der,
        spki_sha256=hashlib.sha256(der).hexdigest(),
        key_algorithm=algorithm,
        key_bits=public_key.key_size,
    )
