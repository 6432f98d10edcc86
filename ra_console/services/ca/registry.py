"""Pick the CA connector named by a certificate profile."""

from __future__ import annotations

from . import CAConnector
from .local import LocalCA


def connector_for(runtime, ca_name: str) -> CAConnector:
    if ca_name == "local":
        return LocalCA(runtime.config["pki.local_ca_path"], runtime.config["pki.base_url"],
                       runtime.now)
    raise LookupError(f"no CA connector named '{ca_name}'")
