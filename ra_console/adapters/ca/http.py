"""HTTP for the remote CA connectors: timeouts on every call, errors mapped to outcomes."""

from __future__ import annotations

from pathlib import Path

import requests
from cryptography import x509

from ra_console.adapters.ca import CAUnavailable


class AnswerLost(CAUnavailable):
    """The request went out but no answer came back (read timeout, dropped connection):
    the CA may have acted on it. Never repeat such a call blindly; ask the CA first."""


class HttpClient:
    """One requests.Session with a base URL, fixed headers and a timeout for every call."""

    def __init__(self, base_url: str, timeout: float, headers: dict[str, str] | None = None):
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"CA base URL {base_url!r}: must start with https://")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.base_url + path
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.ConnectTimeout as exc:
            raise CAUnavailable(f"{url}: no connection ({exc.__class__.__name__})") from None
        except requests.ConnectionError as exc:
            # a refused connection never reached the CA; anything later might have
            if _never_sent(exc):
                raise CAUnavailable(f"{url}: connection refused") from None
            raise AnswerLost(f"{url}: connection lost before the answer") from None
        except requests.Timeout:
            raise AnswerLost(f"{url}: no answer within {self.timeout} s") from None
        except requests.RequestException as exc:
            raise CAUnavailable(f"{url}: {exc.__class__.__name__}: {exc}") from None

    def close(self) -> None:
        self.session.close()


def _never_sent(exc: requests.ConnectionError) -> bool:
    text = repr(exc)
    return any(marker in text for marker in (
        "NewConnectionError", "Connection refused", "Name or service not known",
        "Failed to resolve", "ConnectTimeout"))


def json_or_empty(response: requests.Response) -> dict | list:
    try:
        return response.json()
    except ValueError:
        return {}


def load_anchors(path: str) -> list[x509.Certificate]:
    """Configured trust anchors (PEM file), or [] when none are configured."""
    if not path:
        return []
    return x509.load_pem_x509_certificates(Path(path).read_bytes())
