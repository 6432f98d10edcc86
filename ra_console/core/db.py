"""Database engine and the per-request session."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def make_engine(url: str, hide_parameters: bool = True) -> Engine:
    """Create the engine; SQLite gets foreign keys, WAL and a busy timeout. Hidden
    parameters keep addresses and names out of the SQL errors that reach the log."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=hide_parameters)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         hide_parameters=hide_parameters)


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def insert_unless_present(session: Session, model, values: dict, unique: str) -> bool:
    """INSERT … ON CONFLICT (unique) DO NOTHING: a row that another transaction inserted a
    moment ago is no error (two first sign-ins of one person on two servers). True when
    this call inserted it."""
    dialect_insert = sqlite_insert if is_sqlite(session) else pg_insert
    result = session.execute(dialect_insert(model).values(**values)
                             .on_conflict_do_nothing(index_elements=[unique])
                             .returning(getattr(model, unique)))
    return result.first() is not None


def aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime: SQLite hands back naive ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def session_now(session: Session) -> datetime:
    """The time of the runtime that owns the session (a frozen clock in tests)."""
    runtime = session.info.get("runtime")
    return runtime.now() if runtime is not None else datetime.now(timezone.utc)


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The request's session (one transaction per request; views commit explicitly)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["ra_runtime"].session()
    return g.db_session


def rollback_request_session() -> None:
    """End the request's transaction: after a failed flush every query through it raises
    PendingRollbackError, and an error page reads the database (the signed-in person)."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


@contextmanager
def session_scope(runtime) -> Iterator[Session]:
    """A session for jobs and commands: commit on success, roll back on error."""
    session = runtime.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_LOCKED = "locked_rows"


def _sqlite_write_lock(session: Session, model, where) -> None:
    """SQLite has no row locks: a no-op UPDATE takes the database write lock. Not
    `id = id`: updating a key makes SQLite look for rows referring to it, a scan of every
    referring column without an index (mailbox.applicant_id: every mailbox)."""
    column = next(c for c in model.__table__.columns if not c.primary_key)
    session.execute(update(model).where(where).values({column: column}))


def lock_row(session: Session, row) -> None:
    """Lock `row` until commit, then reload it, so the caller decides on what another
    transaction committed before the lock was granted (its status, not a stale copy).
    A row that lock_rows() locked and loaded in this transaction is locked already.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks: a no-op UPDATE takes the
    database write lock first (FOR UPDATE is not rendered there)."""
    model = type(row)
    held = session.info.get(_LOCKED, {}).get((model, row.id))
    if held is not None and held.is_active:
        return
    if is_sqlite(session):
        _sqlite_write_lock(session, model, model.id == row.id)
    # the result must be fetched: populate_existing refreshes the object only when the
    # row is loaded, and an unread result reloads nothing
    session.execute(
        select(model).where(model.id == row.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def lock_rows(session: Session, model, where) -> list:
    """Lock and (re)load every `model` row matching `where` with one statement, in id
    order (two batches lock in the same order: no deadlock); lock_row() on them is then
    free until the transaction ends. Call it outside a savepoint: a savepoint's rollback
    would release the locks it took."""
    if session.in_nested_transaction():
        raise RuntimeError("lock_rows() inside a savepoint")
    if is_sqlite(session):
        _sqlite_write_lock(session, model, where)
    rows = list(session.execute(
        select(model).where(where).order_by(model.id).with_for_update()
        .execution_options(populate_existing=True)).scalars())
    transaction = session.get_transaction()
    held = session.info.setdefault(_LOCKED, {})
    for row in rows:
        held[(model, row.id)] = transaction
    return rows
