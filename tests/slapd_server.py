"""A private slapd for the tests of directory publication and the LDAP sync, and for the
benchmark: its own folder, a free loopback port, slapd.conf with the Debian schemas and the
eduPerson schema of tests/schema/eduperson.ldif (a cn=config LDIF, turned into slapd.conf
lines here), and optionally entries loaded offline with slapadd before it starts."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ldap3

SUFFIX = "dc=uni,dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
ADMIN, SECRET = f"cn=admin,{SUFFIX}", "secret"
SCHEMA = Path("/etc/ldap/schema")
EDUPERSON = Path(__file__).parent / "schema" / "eduperson.ldif"
ORDER_PREFIX = re.compile(r"^\{\d+\}")  # cn=config's "{0}" ordering prefix
CONFIG_TO_CONF = {"olcattributetypes": "attributetype", "olcobjectclasses": "objectclass"}


def available() -> bool:
    return bool(shutil.which("slapd") or Path("/usr/sbin/slapd").exists()) and (
        SCHEMA / "inetorgperson.schema").exists()


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def schema_lines(ldif: Path) -> str:
    """The attribute types and object classes of a cn=config schema LDIF as slapd.conf
    directives (LDIF continuation lines joined, comments dropped)."""
    logical: list[str] = []
    for line in ldif.read_text(encoding="utf-8").splitlines():
        if line.startswith(" ") and logical:
            logical[-1] += line[1:]
        elif line and not line.startswith("#"):
            logical.append(line)
    out = []
    for line in logical:
        name, _, value = line.partition(":")
        directive = CONFIG_TO_CONF.get(name.strip().lower())
        if directive:
            out.append(f"{directive} {ORDER_PREFIX.sub('', value.strip())}")
    return "\n".join(out) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Slapd:
    folder: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def conf(self) -> Path:
        return self.folder / "slapd.conf"

    def configure(self, maxsize: int = 50 * 1024 * 1024) -> None:
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        (self.folder / "eduperson.schema").write_text(schema_lines(EDUPERSON))
        self.conf.write_text(f"""
include {SCHEMA}/core.schema
include {SCHEMA}/cosine.schema
include {SCHEMA}/inetorgperson.schema
include {self.folder}/eduperson.schema
pidfile {self.folder}/slapd.pid
argsfile {self.folder}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize {maxsize}
suffix "{SUFFIX}"
rootdn "{ADMIN}"
rootpw {SECRET}
directory {self.folder}/data
index objectClass eq
index uid,mail,eduPersonPrincipalName eq
index entryUUID,modifyTimestamp eq
""")

    def load(self, ldif: Path) -> None:
        """Add entries offline (slapd stopped): far faster than adding them over LDAP.
        Entries may carry their own modifyTimestamp/entryUUID; slapadd keeps them."""
        subprocess.run([_tool("slapadd"), "-q", "-f", str(self.conf), "-l", str(ldif)],
                       check=True, capture_output=True)

    def start(self) -> None:
        self.port = self.port or _free_port()
        log = open(self.folder / "slapd.log", "ab")
        self.process = subprocess.Popen(
            [_tool("slapd"), "-f", str(self.conf), "-h", f"{self.url}/", "-d", "0"],
            stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("slapd did not start: "
                           + (self.folder / "slapd.log").read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    @contextmanager
    def admin(self):
        conn = ldap3.Connection(ldap3.Server(self.url, get_info=ldap3.NONE), ADMIN, SECRET,
                                auto_bind=True, raise_exceptions=True)
        try:
            yield conn
        finally:
            conn.unbind()


def base_ldif() -> str:
    return (f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: uni\n"
            f"o: Example University\n\n"
            f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n")


def person_ldif(uid: str, given: str, surname: str, mail: str | None,
                affiliations: tuple[str, ...], stamp: str | None = None) -> str:
    """One eduPerson entry; `stamp` (generalized time) sets its modifyTimestamp (slapadd
    only)."""
    lines = [f"dn: uid={uid},{PEOPLE}", "objectClass: inetOrgPerson", "objectClass: eduPerson",
             f"uid: {uid}", f"cn: {given} {surname}", f"sn: {surname}",
             f"givenName: {given}", f"displayName: {given} {surname}",
             f"eduPersonPrincipalName: {uid}@uni.example.org"]
    if mail:
        lines.append(f"mail: {mail}")
    lines += [f"eduPersonAffiliation: {a}" for a in affiliations]
    lines += [f"eduPersonScopedAffiliation: {a}@uni.example.org" for a in affiliations]
    if stamp:
        lines += [f"createTimestamp: {stamp}", f"modifyTimestamp: {stamp}"]
    return "\n".join(lines) + "\n\n"
