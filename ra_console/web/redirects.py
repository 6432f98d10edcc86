"""The one rule for redirect targets a person can choose (`next=`, Flask-Admin's `url=`).

A target is kept only if, after normalising, it is a local path of this app: no scheme, no
host, no scheme-relative `//` or `\\` (browsers read `\\` as `/`), no control characters
(browsers drop a tab or line break inside a URL, so `/<TAB>/evil.example` becomes
`//evil.example`, and a line break in a header value is a server error), and a route of
the app answers it. Anything else becomes the fallback."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

# Unicode categories dropped from a target: controls, format characters, surrogates,
# private use, unassigned, and the line and paragraph separators.
_DROPPED = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def clean(target: str) -> str:
    """The target in NFKC form without the characters in _DROPPED, stripped."""
    normal = unicodedata.normalize("NFKC", target)
    return "".join(ch for ch in normal if unicodedata.category(ch) not in _DROPPED).strip()


def is_local_path(target: str) -> bool:
    """A path of this site: starts with one slash, no host, no scheme, no backslash."""
    parts = urlsplit(target)
    return (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not parts.scheme and not parts.netloc)


def _is_route(path: str) -> bool:
    try:
        current_app.create_url_adapter(request).match(unquote(path), method="GET")
    except RequestRedirect:  # a route with a trailing slash: the app redirects locally
        return True
    except HTTPException:  # not found, or not a page (POST only)
        return False
    return True


def local_target(target: str | None, fallback: str) -> str:
    """`target` as a local path of a route of this app, or `fallback`."""
    if not isinstance(target, str) or not target:
        return fallback
    cleaned = clean(target)
    if not is_local_path(cleaned):
        return fallback
    parts = urlsplit(cleaned)
    if not _is_route(parts.path):
        return fallback
    return parts.path + (f"?{parts.query}" if parts.query else "")
