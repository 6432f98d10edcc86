"""Pick the CA connector named by a certificate profile (`ca = "local" | "harica" |
"sectigo"`). Remote connectors keep their HTTP session, so one instance per runtime."""

from __future__ import annotations

from . import CAConnector
from .local import LocalCA

REMOTE = ("harica", "sectigo")


def connector_for(runtime, ca_name: str) -> CAConnector:
    if ca_name == "local":
        return LocalCA(runtime.config["pki.local_ca_path"], runtime.config["pki.base_url"],
                       runtime.now)
    if ca_name in REMOTE:
        cache = runtime.services.setdefault("ca_connectors", {})
        if ca_name not in cache:
            cache[ca_name] = _build(runtime, ca_name)
        return cache[ca_name]
    raise LookupError(f"no CA connector named '{ca_name}'")


def _build(runtime, ca_name: str) -> CAConnector:
    if ca_name == "harica":
        from .harica import HaricaCM

        return HaricaCM(runtime.config)
    from .sectigo import SectigoSCM

    return SectigoSCM(runtime.config)


def trust_anchors(runtime, ca_name: str) -> list:
    """Roots that chains from this CA must lead to ([] = the chain's own root)."""
    if ca_name == "local":
        from ...pki import localca

        return [localca.load_ca(runtime.config["pki.local_ca_path"]).root_certificate]
    return list(getattr(connector_for(runtime, ca_name), "trust_anchors", []))
