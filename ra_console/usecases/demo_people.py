"""The demo identities: what a real SSO would send for each, and their operator roles."""

from __future__ import annotations

from ra_console.usecases.signin import SignInIdentity

DOMAIN = "uni.example.org"

DEMO_PEOPLE: dict[str, tuple[SignInIdentity, list[tuple[str, str | None]]]] = {
    "erika": (SignInIdentity("erika", "Erika", "Mustermann",
                             (f"erika.mustermann@{DOMAIN}",), ("employee", "member")), []),
    "max": (SignInIdentity("max", "Max", "Muster", (f"max.muster@{DOMAIN}",),
                           ("student", "member")), []),
    "gast": (SignInIdentity("gast", "Gabi", "Gast", (f"gabi.gast@{DOMAIN}",), ("affiliate",)),
             []),
    "nk-itc": (SignInIdentity("nk-itc", "Nora", "Netz", (f"nora.netz@{DOMAIN}",),
                              ("employee",)), [("network_contact", "ITC")]),
    "nk-phys": (SignInIdentity("nk-phys", "Paul", "Physik", (f"paul.physik@{DOMAIN}",),
                               ("employee",)), [("network_contact", "PHYS")]),
    "idv": (SignInIdentity("idv", "Ida", "Prüfer", (f"ida.pruefer@{DOMAIN}",), ("employee",)),
            [("id_verifier", None)]),
    "admin": (SignInIdentity("admin", "Arne", "Admin", (f"arne.admin@{DOMAIN}",),
                             ("employee",)), [("ra_admin", None)]),
    "auditor": (SignInIdentity("auditor", "Anna", "Audit", (f"anna.audit@{DOMAIN}",),
                               ("employee",)), [("auditor", None)]),
}

DEMO_INSTITUTES = [
    ("ITC", "IT Center", "IT Center", ["itc.uni.example.org"]),
    ("PHYS", "Physik", "Physics", ["physik.uni.example.org"]),
]
