"""The LDAP pull sync: persons read from the IdM's directory, applied through the identity
feed (source "ldap"), so the audit, the IdM mailboxes, offboarding and the circuit breaker
work as for a SCIM push.

Two kinds of run:
- changed entries: those whose modifyTimestamp is at or after the stored high-water mark
  (the directory's own clock), cheap enough for every few minutes;
- full comparison: every entry, compared with every person the sync manages; persons gone
  from the directory (deleted, or no longer matching the filter) are removed through the
  feed, unless so many would go at once that the circuit breaker trips.

An entry without an attribute the RA requires (auth.required_attributes) is refused and
counted, and the RA admins are alerted: nothing about that person changes, and the
person is not taken for removed either."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import select as sa_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from ra_console.adapters.idm_ldap import TIMESTAMP, IdmDirectory, LdapEntry
from ra_console.adapters.outbox import enqueue
from ra_console.adapters.settings import removal_breaker
from ra_console.models import Person, Setting
from ra_console.usecases.breaker import removals_allowed, too_many
from ra_console.usecases.identity_feed import (
    FED_FIELDS,
    IdentityChange,
    apply_change,
    missing_attributes,
    remove,
    would_change,
)
from ra_console.workflow import audit
from ra_console.workflow.audit import chained_at_commit

log = logging.getLogger(__name__)
SOURCE = "ldap"
STATE_KEY = "ldap_sync"
BATCH = 500  # changes per transaction
SKEW = timedelta(minutes=2)  # the next run reads again what changed this long before a run
GENERALIZED = "%Y%m%d%H%M%SZ"


@dataclass
class SyncResult:
    full: bool
    read: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    held: int = 0  # removals the circuit breaker holds back
    failed: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # missing attributes -> entries

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())

    def counts(self) -> dict:
        return {"full": self.full, "read": self.read, "created": self.created,
                "changed": self.changed, "unchanged": self.unchanged,
                "removed": self.removed, "held": self.held, "failed": self.failed,
                "refused": self.refused_total}


# --- the mapping: one directory entry -> what the feed should know -----------------------
def _affiliations(entry: LdapEntry, config: dict) -> tuple[str, ...]:
    scopes = {s.lower() for s in config["ldap_sync.affiliation_scopes"]}
    renamed = dict(e.partition("=")[::2] for e in config["ldap_sync.affiliation_map"])
    found = []
    for attribute in config["ldap_sync.affiliation_attributes"]:
        for value in entry.values.get(attribute.lower(), ()):
            word, at, scope = value.strip().partition("@")
            if at and scopes and scope.lower() not in scopes:
                continue  # another organisation's scope
            if word:
                found.append(renamed.get(word.lower(), word.lower()))
    return tuple(sorted(set(found)))


def _names(entry: LdapEntry, config: dict) -> tuple[str, str]:
    given = (entry.first(config["ldap_sync.given_name_attribute"]) or "").strip()
    surname = (entry.first(config["ldap_sync.surname_attribute"]) or "").strip()
    display = config["ldap_sync.display_name_attribute"]
    if (not given or not surname) and display and entry.first(display):
        words = entry.first(display).split()
        if len(words) > 1:
            given = given or " ".join(words[:-1])
            surname = surname or words[-1]
        elif words and not surname:
            surname = words[0]
    return given, surname


def to_change(entry: LdapEntry, config: dict) -> IdentityChange:
    """What the entry says. In the directory under the filter means active and
    provisioned; an attribute that is absent is said as empty (the required ones are then
    refused by the feed's rule, never applied)."""
    given, surname = _names(entry, config)
    id_attribute = config["ldap_sync.external_id_attribute"]
    return IdentityChange(
        username=(entry.first(config["ldap_sync.username_attribute"]) or "").strip(),
        given_name=given, surname=surname,
        emails=tuple(entry.values.get(config["ldap_sync.mail_attribute"].lower(), ())),
        affiliations=_affiliations(entry, config), active=True, removed=False,
        external_id=(entry.first(id_attribute) if id_attribute else None))


# --- one run ------------------------------------------------------------------------------
def _state(session: Session) -> dict:
    setting = session.get(Setting, STATE_KEY)
    return dict(setting.value) if setting is not None and isinstance(setting.value, dict) \
        else {}


def _store_state(session: Session, value: dict, now) -> None:
    setting = session.get(Setting, STATE_KEY) or Setting(key=STATE_KEY)
    setting.value, setting.updated_by, setting.updated_at = value, "ldap-sync", now
    session.add(setting)


def full_due(runtime) -> bool:
    """The sweep's choice: a full comparison when none ran for full_interval_seconds."""
    with runtime.session() as session:
        last = _state(session).get("full_at")
    if not last:
        return True
    return runtime.now() - datetime.fromisoformat(last) >= timedelta(
        seconds=runtime.config["ldap_sync.full_interval_seconds"])


def _known(session: Session, usernames: list[str] | None = None,
           external_ids: list[str] | None = None) -> tuple[dict[str, dict], dict[str, str]]:
    """The persons' fed fields by user name (with id and idm_source), and user names by
    external id: every person (usernames None: the full comparison) in one query, or
    those with the given user names or external ids (a changed-entries run reads a few
    entries and must not pay for reading every person)."""
    columns = [Person.id, Person.idm_source, *(getattr(Person, n) for n in FED_FIELDS)]
    if usernames is None:
        queries = [sa_select(*columns)]
    else:
        queries = [sa_select(*columns).where(column.in_(values[start:start + 500]))
                   for column, values in ((Person.username, usernames),
                                          (Person.external_id, external_ids or []))
                   for start in range(0, len(values), 500)]
    known, by_external = {}, {}
    for query in queries:
        for row in session.execute(query):
            values = dict(row._mapping)
            known[values["username"]] = values
            if values["external_id"]:
                by_external[values["external_id"]] = values["username"]
    return known, by_external


class _Applier:
    """Changes in batches of BATCH, one transaction each; a batch that fails is done again
    one change at a time, so one bad entry costs only itself."""

    def __init__(self, runtime, actor: str, result: SyncResult):
        self.runtime, self.actor, self.result = runtime, actor, result
        self.config = runtime.config
        self.pending: list[tuple[str, IdentityChange | None, int | None]] = []

    def add(self, kind: str, change: IdentityChange | None, person_id: int | None) -> None:
        self.pending.append((kind, change, person_id))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            self._run(batch)
        except SQLAlchemyError:
            log.warning("LDAP sync: a batch failed; applying its %d changes one by one",
                        len(batch))
            for one in batch:
                try:
                    self._run([one])
                except SQLAlchemyError as exc:
                    self.result.failed += 1
                    log.error("LDAP sync: %s of %s failed: %s", one[0],
                              one[1].username if one[1] else one[2], exc)

    def _run(self, batch) -> None:
        now, domains = self.runtime.now(), self.config["organization.idm_domains"]
        counts = {"created": 0, "changed": 0, "removed": 0}
        with chained_at_commit(self.runtime.session()) as session:
            ids = [person_id for _, _, person_id in batch if person_id is not None]
            if ids:  # one query for the batch; session.get below finds them loaded
                session.exec(select(Person).where(Person.id.in_(ids))).all()
            for kind, change, person_id in batch:
                person = session.get(Person, person_id) if person_id is not None else None
                if kind == "removed":
                    remove(session, person, source=SOURCE, actor=self.actor,
                           idm_domains=domains, now=now)
                else:
                    person = apply_change(session, change, source=SOURCE, actor=self.actor,
                                          idm_domains=domains, now=now, person=person)
                    person.idm_source = SOURCE
                counts[kind] += 1
            session.commit()
        for kind, count in counts.items():
            setattr(self.result, kind, getattr(self.result, kind) + count)


def run(runtime, *, full: bool, started_by: str = "job runner") -> SyncResult:
    """One run; a changed-entries run without a high-water mark yet is a full one.
    IdmDirectoryUnavailable when the directory cannot be read (nothing removed then)."""
    config, started, clock = runtime.config, runtime.now(), time.monotonic()
    with runtime.session() as session:
        state = _state(session)
    full = full or not state.get("high_water")
    entries = IdmDirectory(config).entries(None if full else state["high_water"])
    if full:
        with runtime.session() as session:
            known, by_external = _known(session)
        pairs = ((entry, to_change(entry, config)) for entry in entries)
    else:  # a few entries: read them first, then only their persons
        pairs = [(entry, to_change(entry, config)) for entry in entries]
        with runtime.session() as session:
            known, by_external = _known(
                session, [c.username for _, c in pairs if c.username],
                [c.external_id for _, c in pairs if c.external_id])
    result = SyncResult(full=full)
    host = urlsplit(config["ldap_sync.url"]).hostname or config["ldap_sync.url"]
    actor = f"ldap:{host}" if started_by == "job runner" else f"ldap:{host} ({started_by})"
    applier = _Applier(runtime, actor, result)
    required = config["auth.required_attributes"]
    seen: set[str] = set()
    newest = ""
    examples: dict[str, str] = {}
    for entry, change in pairs:
        result.read += 1
        newest = max(newest, entry.first(TIMESTAMP) or "")  # one directory: one format
        # a renamed person (same external id, new user name) is still the same person
        owner = by_external.get(change.external_id) if change.external_id else None
        current = known.get(change.username) or (known.get(owner) if owner else None)
        if current is not None:
            seen.add(current["username"])
        missing = (["username"] if not change.username else []) + missing_attributes(
            change, required)
        if missing:
            key = ", ".join(missing)
            result.refused[key] = result.refused.get(key, 0) + 1
            examples.setdefault(key, change.username or entry.dn)
            continue
        seen.add(change.username)
        if current is None:
            applier.add("created", change, None)
        elif current["idm_source"] != SOURCE or would_change(
                change, {n: current[n] for n in FED_FIELDS}, started):
            applier.add("changed", _unchanged_addresses_unsaid(change, current),
                        current["id"])
        else:
            result.unchanged += 1
    applier.flush()
    if full:
        _remove_gone(runtime, applier, known, seen, result, started)
    _finish(runtime, result, state, newest, started, started_by, examples,
            timedelta(seconds=time.monotonic() - clock))
    return result


def _unchanged_addresses_unsaid(change: IdentityChange, current: dict) -> IdentityChange:
    """The change without its addresses when they are the stored ones (and the person is
    managed here and active): the feed then leaves the IdM mailboxes alone instead of
    reading them only to find nothing to do."""
    if current["idm_source"] != SOURCE or current["idm_active"] is False \
            or current["idm_removed_at"] is not None:
        return change
    emails = " ".join(dict.fromkeys(e.strip() for e in change.emails if e.strip()))
    return replace(change, emails=None) if emails == current["idm_emails"] else change


def _remove_gone(runtime, applier: _Applier, known: dict, seen: set, result: SyncResult,
                 now) -> None:
    managed = [p for p in known.values()
               if p["idm_source"] == SOURCE and p["idm_removed_at"] is None]
    gone = [p for p in managed if p["username"] not in seen]
    if not gone:
        return
    with runtime.session() as session:
        allowed = _removals_allowed(session, runtime.config, len(gone), len(managed), now)
        session.commit()
    if not allowed:
        result.held = len(gone)
        log.warning("LDAP sync: %d of %d persons are gone from the directory; the circuit "
                    "breaker holds their removal until an RA admin confirms (Settings)",
                    len(gone), len(managed))
        return
    for person in gone:
        applier.add("removed", None, person["id"])
    applier.flush()


def _removals_allowed(session: Session, config: dict, gone: int, managed: int, now) -> bool:
    """The breaker for persons gone from the directory. An RA admin's confirmation that
    covers them is not used up here: it is left for the offboarding run that follows,
    which revokes their certificates, so one wave needs one confirmation."""
    state = removal_breaker(session)
    if state.tripped:
        return False
    counts = {"persons": (gone, managed)}
    if too_many(config, counts) is None or gone <= state.confirmed_up_to:
        return True
    return removals_allowed(session, config, counts, now)  # trips it, alerts the admins


def _generalized(value: str) -> datetime | None:
    """A generalized time (RFC 4517) as LDAP servers write modifyTimestamp."""
    try:
        moment = datetime.strptime(value[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    rest = value[14:].split(".")[-1] if "." in value[14:] else value[14:]
    rest = rest.lstrip("0123456789")
    if rest[:1] in "+-" and len(rest) >= 5 and rest[1:5].isdigit():
        offset = timedelta(hours=int(rest[1:3]), minutes=int(rest[3:5]))
        moment -= offset if rest[0] == "+" else -offset
    return moment.replace(tzinfo=timezone.utc)


def next_high_water(old: str, newest_seen: str, elapsed: timedelta) -> str:
    """The mark the next changed-entries run starts from: the newest modification seen,
    less the run's duration and a margin. An entry changed while this run read others
    carries a time after the run's start, so the next run reads it again instead of
    skipping it; re-reading an unchanged entry costs only the comparison. Never earlier
    than the old mark."""
    seen = _generalized(newest_seen) if newest_seen else None
    if seen is None:
        return old
    mark = (seen - elapsed - SKEW).strftime(GENERALIZED)
    return max(old, mark) if old else mark


def _finish(runtime, result: SyncResult, state: dict, high_water: str, started,
            started_by: str, examples: dict[str, str], elapsed: timedelta) -> None:
    state = {**state, "high_water": next_high_water(state.get("high_water") or "",
                                                    high_water, elapsed),
             "last": {**result.counts(), "at": started.isoformat(), "by": started_by}}
    if result.full:
        state["full_at"] = started.isoformat()
    with chained_at_commit(runtime.session()) as session:
        if result.refused:
            _refused(session, result, examples, started)
        _store_state(session, state, started)
        session.commit()


def _refused(session: Session, result: SyncResult, examples: dict[str, str], now) -> None:
    """One audit event per run, one alert per set of missing attributes and day."""
    audit.append_event(session, entity_type="setting", entity_id=STATE_KEY,
                       trigger="idm_refused", actor=SOURCE, role="system",
                       data={"source": SOURCE, "refused": result.refused,
                             "examples": examples})
    for missing, count in result.refused.items():
        enqueue(session, "mail.admin_alert", {
            "template": "ldap_entries_refused", "path": "/console/",
            "context": {"count": count, "missing": missing, "username": examples[missing],
                        "at": now.strftime("%Y-%m-%d %H:%M UTC")}},
            f"mail.admin_alert:ldap_entries_refused:{missing}:{now:%Y%m%d}")


def last_run(session: Session) -> dict:
    """The stored state: high-water mark, time of the last full comparison, last counts."""
    return _state(session)


def managed_count(session: Session) -> int:
    return len(session.exec(select(Person.id).where(
        Person.idm_source == SOURCE, Person.idm_removed_at.is_(None))).all())
