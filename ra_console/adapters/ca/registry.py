"""Pick the CA connector named by a certificate profile (`ca = "local" | "harica" |
"sectigo"`). Remote connectors keep their HTTP session, so one instance per runtime, built
again when the CA's effective configuration (an RA admin's change in the console) differs."""

from __future__ import annotations

from ra_console.adapters.ca import CAConnector
from ra_console.adapters.ca.local import LocalCA
from ra_console.adapters.overrides import build_connector
from ra_console.pki import localca

REMOTE = ("harica", "sectigo")


def connector_for(runtime, ca_name: str) -> CAConnector:
    if ca_name == "local":
        return LocalCA(runtime.config["pki.local_ca_path"], runtime.config["pki.base_url"],
                       runtime.now)
    if ca_name in REMOTE:

        config = runtime.ca_config(ca_name)
        wanted = _own_keys(config, ca_name)
        cache = runtime.services.setdefault("ca_connectors", {})
        cached = cache.get(ca_name)
        if cached is None or cached[0] != wanted:
            cached = cache[ca_name] = (wanted, build_connector(config, ca_name))
        return cached[1]
    raise LookupError(f"no CA connector named '{ca_name}'")


def _own_keys(config: dict, ca_name: str) -> dict:
    """The keys a connector reads: [<ca>] and the <ca>_* secrets."""
    return {key: value for key, value in config.items()
            if key.startswith((f"{ca_name}.", f"{ca_name}_"))}


def trust_anchors(runtime, ca_name: str) -> list:
    """Roots that chains from this CA must lead to ([] = the chain's own root)."""
    if ca_name == "local":

        return [localca.load_ca(runtime.config["pki.local_ca_path"]).root_certificate]
    return list(getattr(connector_for(runtime, ca_name), "trust_anchors", []))
