"""The audit chain's head, witnessed outside the database: a signed, append-only file.

One line per committed audit event: `seq hash time mac`, where mac is the HMAC-SHA256 (the
audit key) of the previous line's mac and this line's fields. Whoever can write to the
database cannot write here without the key, so cutting the chain's tail (events and head
row) is seen. The same line can go to syslog, off the machine. Lines are written after
the database commit, so the witness never names an event that was rolled back; after a
crash it may lag the database, never run ahead of it.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import logging.handlers
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session  # the base class: sqlmodel's and Flask-Admin's sessions

log = logging.getLogger(__name__)
GENESIS_MAC = "0" * 64
_PENDING = "audit_witness_pending"
_TAIL_BYTES = 512  # more than one line: the previous mac is in the last line


class WitnessError(Exception):
    """The witness file was changed: `line` is its number (1-based), `problem` what."""

    def __init__(self, line: int, problem: str):
        super().__init__(f"witness line {line}: {problem}")
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class WitnessedHead:
    seq: int
    hash: str
    at: str
    line: int


def _mac(key: bytes, previous_mac: str, seq: int, chain_hash: str, at: str) -> str:
    message = f"{previous_mac} {seq} {chain_hash} {at}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _syslog_handler(address: str) -> logging.Handler:
    host, _, port = address.rpartition(":")
    target = (host, int(port)) if host and port.isdigit() else address
    return logging.handlers.SysLogHandler(
        address=target, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)


class Witness:
    """Appends witness lines (under an exclusive file lock: several processes share it)."""

    def __init__(self, path: Path, key: bytes, *, fsync: bool = False, syslog: str = ""):
        self.path, self.key, self.fsync = Path(path), key, fsync
        # a logger of its own (not registered): runtimes in one process never share handlers
        self.log = logging.Logger("ra_console.audit.witness", logging.INFO)
        if syslog:
            self.log.addHandler(_syslog_handler(syslog))

    def record(self, events: list[tuple[int, str, str]]) -> None:
        """Append one line per (seq, hash, time) and flush (fsync by policy)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            previous = _last_mac(handle)
            lines = []
            for seq, chain_hash, at in events:
                previous = _mac(self.key, previous, seq, chain_hash, at)
                lines.append(f"{seq} {chain_hash} {at} {previous}\n")
            handle.write("".join(lines).encode("ascii"))
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        for line in lines:
            self.log.info("ra-console audit head %s", line.rstrip())

    def head(self) -> WitnessedHead | None:
        """The highest witnessed event after checking every line's MAC (WitnessError if a
        line was changed, inserted or removed); None when nothing was witnessed yet."""
        best, previous = None, GENESIS_MAC
        try:
            handle = self.path.open("r", encoding="ascii", errors="replace")
        except FileNotFoundError:
            return None
        with handle:
            for number, line in enumerate(handle, start=1):
                fields = line.split()
                if len(fields) != 4 or not fields[0].isdigit():
                    raise WitnessError(number, "is not a witness line")
                seq, chain_hash, at, mac = int(fields[0]), fields[1], fields[2], fields[3]
                if not hmac.compare_digest(mac, _mac(self.key, previous, seq, chain_hash, at)):
                    raise WitnessError(number, f"(event #{seq}) has a wrong MAC: changed, "
                                               "inserted, or a line before it removed")
                previous = mac
                if best is None or seq >= best.seq:
                    best = WitnessedHead(seq, chain_hash, at, number)
        return best


def _last_mac(handle) -> str:
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return GENESIS_MAC
    handle.seek(max(0, size - _TAIL_BYTES))
    last = handle.read().decode("ascii", "replace").rstrip("\n").rsplit("\n", 1)[-1]
    return last.split()[-1]


def witness_after_commit(session: Session, seq: int, chain_hash: str, at: str) -> None:
    """Witness this event once the session's transaction commits (dropped on rollback)."""
    savepoint = session.get_nested_transaction()
    session.info.setdefault(_PENDING, []).append((savepoint, (seq, chain_hash, at)))


@event.listens_for(Session, "after_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    try:
        session.info["runtime"].witness.record([entry for _, entry in pending])
    except OSError:  # committed already: the witness lags, `audit verify` names the gap
        log.exception("audit head not witnessed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        return
    session.info[_PENDING] = [
        (savepoint, entry) for savepoint, entry in session.info.get(_PENDING, [])
        if not within(savepoint, previous_transaction)]


def within(savepoint, transaction) -> bool:
    while savepoint is not None:
        if savepoint is transaction:
            return True
        savepoint = savepoint.parent
    return False
