"""CSV import of address rows in the reference portal's mail-admin export format."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlmodel import Session, select

from ra_console.models import Institute, Mailbox, MailboxAddress, Person
from ra_console.pki.input_rules import has_control
from ra_console.queries.addresses import addresses_of
from ra_console.usecases.addresses import (
    AddressError,
    MailboxInput,
    add_mailbox,
    normalize,
    set_aliases,
    validate,
)
from ra_console.workflow.actor import Actor

COLUMNS = ("Last Name", "First Name", "Primary E-Mail", "Alias Addresses", "Mailboxtype",
           "Applicant E-Mail", "Comment")
OPTIONAL = ("Username",)  # our extension: names the person directly
KIND_WORDS = {"personal": "personal", "person": "personal", "persönlich": "personal",
              "functional": "functional", "function": "functional",
              "funktional": "functional", "funktionspostfach": "functional"}


class CsvError(Exception):
    """The file as a whole cannot be read; nothing is imported."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass
class PlannedRow:
    line: int
    primary: str
    action: str  # create | update | unchanged | error
    data: MailboxInput | None = None
    error: str | None = None
    params: dict = field(default_factory=dict)


def read_rows(raw: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError("not_utf8", position=exc.start) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CsvError("missing_columns", columns=", ".join(missing))
    reader.fieldnames = header
    rows = []
    for record in reader:
        if not any((v or "").strip() for k, v in record.items() if k):
            continue
        if None in record:  # more cells than the header has
            rows.append((reader.line_num, {"__error__": "extra_cells"}))
            continue
        cells = {k: (v or "").strip() for k, v in record.items()}
        # NUL (PostgreSQL refuses it) and other invisible characters end at the preview,
        # before any cell reaches a query
        hidden = next((k for k, v in cells.items() if has_control(v)), None)
        if hidden is not None:
            rows.append((reader.line_num, {"__error__": "text_control", "__field__": hidden}))
            continue
        rows.append((reader.line_num, cells))
    return rows


def _person_by_name(session: Session, given: str, surname: str) -> str | None:
    matches = session.exec(select(Person.username).where(
        Person.given_name.ilike(given), Person.surname.ilike(surname))).all()
    return matches[0] if len(matches) == 1 else None


def _person_by_address(session: Session, address: str) -> str | None:
    return session.exec(select(Person.username).join(
        Mailbox, Mailbox.owner_id == Person.id).join(
        MailboxAddress, MailboxAddress.mailbox_id == Mailbox.id).where(
        MailboxAddress.address == normalize(address), Mailbox.status == "verified")).first()


def _input_for(session: Session, record: dict[str, str]) -> MailboxInput:
    kind = KIND_WORDS.get(record["Mailboxtype"].lower() or "personal")
    if kind is None:
        raise AddressError("bad_kind", kind=record["Mailboxtype"])
    aliases = tuple(a for a in re.split(r"[,\s;]+", record["Alias Addresses"]) if a)
    username = record.get("Username", "")
    applicant = ""
    if kind == "personal" and not username:
        username = _person_by_name(session, record["First Name"], record["Last Name"]) or ""
        if not username:
            raise AddressError("person_unknown", name=f"{record['First Name']} "
                                                      f"{record['Last Name']}".strip())
    if kind == "functional":
        if not record["Applicant E-Mail"]:
            raise AddressError("applicant_missing")
        applicant = _person_by_address(session, record["Applicant E-Mail"]) or ""
        if not applicant:
            raise AddressError("applicant_unknown", address=record["Applicant E-Mail"])
    display = f"{record['First Name']} {record['Last Name']}".strip()
    return MailboxInput(primary=record["Primary E-Mail"], aliases=aliases, kind=kind,
                        username=username, applicant=applicant, display_name=display,
                        comment=record["Comment"])


def plan(session: Session, institute: Institute, raw: bytes, *, max_aliases: int
         ) -> list[PlannedRow]:
    """What importing would do, row by row; changes nothing."""
    planned, seen = [], set()
    for line, record in read_rows(raw):
        primary = record.get("Primary E-Mail", "")
        try:
            if "__error__" in record:
                raise AddressError(record["__error__"], **(
                    {"field": record["__field__"]} if "__field__" in record else {}))
            data = _input_for(session, record)
            key = normalize(data.primary)
            if key in seen:
                raise AddressError("duplicate_in_file", address=key)
            seen.add(key)
            existing = _existing(session, institute, key)
            validate(session, institute, data, max_aliases=max_aliases, mailbox=existing)
            action = "create" if existing is None else (
                "unchanged" if _same(session, existing, data) else "update")
            planned.append(PlannedRow(line, primary, action, data))
        except AddressError as exc:
            planned.append(PlannedRow(line, primary, "error", error=exc.code, params=exc.params))
    return planned


def _existing(session: Session, institute: Institute, address: str) -> Mailbox | None:
    return session.exec(select(Mailbox).join(
        MailboxAddress, MailboxAddress.mailbox_id == Mailbox.id).where(
        MailboxAddress.address == address, MailboxAddress.is_primary,
        Mailbox.institute_id == institute.id)).first()


def _same(session: Session, mailbox: Mailbox, data: MailboxInput) -> bool:
    aliases = {a.address for a in addresses_of(session, mailbox) if not a.is_primary}
    return aliases == {normalize(a) for a in data.aliases} and mailbox.comment == data.comment


def apply(session: Session, actor: Actor, institute: Institute, rows: list[PlannedRow], *,
          max_aliases: int) -> list[Mailbox]:
    """Import every valid row in the caller's one transaction; returns the new rows."""
    created = []
    for row in rows:
        if row.action == "create":
            created.append(add_mailbox(session, actor, institute, row.data,
                                       max_aliases=max_aliases))
        elif row.action == "update":
            mailbox = _existing(session, institute, normalize(row.data.primary))
            set_aliases(session, actor, institute, mailbox, row.data.aliases,
                        max_aliases=max_aliases)
            mailbox.comment = row.data.comment[:500]
    session.flush()
    return created
