"""Length and character rules for every text a person types: one place, used by every
entry point (sign-in, address rows and their CSV import, the identity desk).

Each check returns None or a Problem (an error code with parameters); the caller raises its
own error type with it, and the texts live where errors are shown (web/messages.py)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# RFC 5321 4.5.3.1: a local part has at most 64 octets, a path at most 256 (254 for the
# address without its angle brackets). We accept ASCII local parts only (no SMTPUTF8,
# S/MIME BR 7.1.4.2.1) and domains in their A-label form (IDNs as xn--).
EMAIL_LOCAL_MAX, EMAIL_MAX = 64, 254
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
ADDRESS_RE = re.compile(rf"{_LOCAL}@{_DOMAIN}")

# User names as an IdM issues them: a uid (erika), an eduPersonPrincipalName
# (erika@uni.example.org) or an OpenID Connect subject (opaque ASCII, often a UUID).
USERNAME_MAX = 128
USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+=:|-]*")

# Names (IdM, legal, display names of mailboxes) can become a certificate's CN, which
# holds at most 64 characters (RFC 5280 ub-common-name, S/MIME BR 7.1.4.2.2).
NAME_MAX = 64
# Document numbers: passports and ID cards use up to 9 (ICAO 9303) and residence permits a
# few more letters and digits; some are written with spaces, hyphens, slashes or dots.
DOCUMENT_NUMBER_MAX = 30
DOCUMENT_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]*")
# Free text (comments, reasons) keeps line breaks and tabs but nothing else invisible.
FREE_TEXT_MAX = 500

_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, format, unassigned
_LINE_BREAKS = {"\n", "\r", "\t"}
SHOWN = 40  # characters of a refused value repeated in the error message


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict = field(default_factory=dict)


def refuse(error: type[Exception], problem: Problem | None, **params) -> None:
    """Raise the caller's error type (code + parameters) for a problem; `params` add e.g.
    the field's name."""
    if problem is not None:
        raise error(problem.code, **problem.params, **params)


def shown(value: str) -> str:
    """A refused value as the message repeats it: printable and short."""
    visible = "".join(ch for ch in value if unicodedata.category(ch) not in _INVISIBLE)
    return visible if len(visible) <= SHOWN else visible[:SHOWN] + "…"


def has_control(value: str, *, allow_line_breaks: bool = False) -> bool:
    """NUL and other control, format or unassigned characters (PostgreSQL refuses NUL;
    the others hide text or break headers and certificates)."""
    return any(unicodedata.category(ch) in _INVISIBLE
               and not (allow_line_breaks and ch in _LINE_BREAKS) for ch in value)


def printable(value: str, limit: int) -> str:
    """For logging what someone typed: invisible characters dropped, cut to `limit`."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in _INVISIBLE)[:limit]


def address_problem(address: str) -> Problem | None:
    if len(address) > EMAIL_MAX or len(address.rpartition("@")[0]) > EMAIL_LOCAL_MAX:
        return Problem("address_too_long", {"address": shown(address),
                                            "local_max": EMAIL_LOCAL_MAX, "max": EMAIL_MAX})
    if not ADDRESS_RE.fullmatch(address):
        return Problem("bad_address", {"address": shown(address)})
    return None


def username_problem(username: str) -> Problem | None:
    if len(username) > USERNAME_MAX or not USERNAME_RE.fullmatch(username):
        return Problem("bad_username", {"value": shown(username), "max": USERNAME_MAX})
    return None


def name_problem(name: str, *, limit: int = NAME_MAX) -> Problem | None:
    """A person's or mailbox's name: no markup, nothing invisible, at most `limit`."""
    if has_control(name):
        return Problem("text_control")
    if "<" in name or ">" in name:
        return Problem("name_markup")
    if len(name) > limit:
        return Problem("text_too_long", {"max": limit})
    return None


def free_text_problem(text: str, *, limit: int = FREE_TEXT_MAX) -> Problem | None:
    if has_control(text, allow_line_breaks=True):
        return Problem("text_control")
    if len(text) > limit:
        return Problem("text_too_long", {"max": limit})
    return None


def document_number_problem(number: str) -> Problem | None:
    if has_control(number):
        return Problem("text_control")
    if len(number) > DOCUMENT_NUMBER_MAX or not DOCUMENT_NUMBER_RE.fullmatch(number):
        return Problem("document_number_invalid", {"max": DOCUMENT_NUMBER_MAX})
    return None
