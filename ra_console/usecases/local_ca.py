"""Setting up the embedded local CA: root and issuing CA, the first CRLs, and the RA's own
mail-signer certificate (every mail the RA sends is S/MIME-signed)."""

from __future__ import annotations

from pathlib import Path

from ra_console.adapters.mail_signer import create_mail_signer
from ra_console.pki import localca, revocation


def init_local_ca(runtime) -> None:
    """Create the CA in pki.local_ca_path; FileExistsError if one is there already."""
    config = runtime.config
    folder = Path(config["pki.local_ca_path"])
    localca.init_ca(folder, organization=config["organization.name"],
                    country=config["pki.local_ca_country"], pki_base_url=config["pki.base_url"])
    revocation.write_crl(folder, runtime.now())
    if not Path(config["mail.signing_cert"]).exists():
        create_mail_signer(config, runtime.profiles[config["pki.functional_profile"]],
                           runtime.now())
