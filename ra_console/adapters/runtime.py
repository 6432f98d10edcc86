"""The runtime: configuration, profiles, clock, database and services for one process."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from ra_console.adapters.audit_witness import Witness
from ra_console.adapters.overrides import (
    CA_NAMES,
    Effective,
    OverrideError,
    effective,
    profile_with_ca,
)
from ra_console.adapters.settings import PAUSE_KEY
from ra_console.core.config import ConfigError
from ra_console.core.db import make_engine
from ra_console.models import Setting
from ra_console.pki.profiles import CertificateProfile

log = logging.getLogger(__name__)

__all__ = ["CA_NAMES", "Runtime", "build_runtime", "load_profiles", "system_clock"]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class Runtime:
    """One process's view of configuration, database and services.

    `profiles`, `profile_cas` and `ca_config()` are the effective values: the configuration
    merged with the RA admins' overrides (Setting rows); the maintenance switch's row rides
    along for the portal's banner. The override rows are read at most
    once per `settings_cache_seconds` per process (one query), so a change made in another
    process (web worker, job runner) is in force here after that time; the process that
    writes a change calls `invalidate_settings()` and sees it at once."""
    def __init__(self, config: dict[str, Any], engine: Engine,
                 clock: Callable[[], datetime] = system_clock,
                 services: dict[str, Any] | None = None,
                 monotonic: Callable[[], float] = time.monotonic):
        self.config = config
        self.engine = engine
        self.clock = clock
        self.services = {} if services is None else services
        # the TTL's clock (seconds); the domain clock above may be frozen in tests
        self.monotonic = monotonic
        profiles, cas = load_profiles(config)
        self._effective = Effective({}, profiles, cas, {name: {} for name in CA_NAMES})
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        self.witness = Witness(Path(config["audit.witness_file"]), config["audit_key"].encode(),
                               fsync=config["audit.witness_fsync"] == "always",
                               syslog=config["audit.witness_syslog"])

    def session(self) -> Session:
        """A new session that carries this runtime (conditions and effects read it)."""
        session = Session(self.engine, expire_on_commit=False)
        session.info["runtime"] = self
        return session

    def now(self) -> datetime:
        return self.clock()

    # --- effective profiles and CA connections ------------------------------------------
    @property
    def profiles(self) -> dict[str, CertificateProfile]:
        return self.settings().profiles

    @property
    def profile_cas(self) -> dict[str, str]:
        """profile name -> CA connector name ("local", "harica", "sectigo")."""
        return self.settings().cas

    def ca_config(self, name: str) -> dict[str, Any]:
        """The configuration a connector for CA `name` is built from: the configuration
        with the console's overrides of that CA's keys."""
        override = self.settings().ca_overrides.get(name)
        if not override:
            return self.config
        return {**self.config, **{f"{name}.{key}": value for key, value in override.items()}}

    def settings(self) -> Effective:
        """The effective values, refreshed from the database when older than the TTL."""
        loaded_at, ttl = self._loaded_at, self.config["settings_cache_seconds"]
        if loaded_at is not None and self.monotonic() - loaded_at < ttl:
            return self._effective
        with self._lock:
            if self._loaded_at is loaded_at:  # no other thread refreshed meanwhile
                self._refresh()
        return self._effective

    def invalidate_settings(self) -> None:
        """Re-read the overrides at the next use (after this process changed one)."""
        self._loaded_at = None

    def _refresh(self) -> None:
        started = self.monotonic()
        try:
            with self.engine.connect() as connection:
                rows = dict(connection.execute(select(Setting.key, Setting.value).where(
                    or_(Setting.key.like("profile:%"), Setting.key.like("ca:%"),
                        Setting.key == PAUSE_KEY))).all())
        except SQLAlchemyError as exc:  # e.g. before `db upgrade`: the configuration holds
            log.warning("setting overrides not read, configuration in force: %s",
                        str(exc).splitlines()[0])
            rows = self._effective.rows
        # Unchanged rows keep the same objects (cheap, and nothing held is swapped).
        if rows != self._effective.rows:
            self._effective = effective(self.config, rows)
        self._loaded_at = started



def load_profiles(config: dict[str, Any]) -> tuple[dict[str, CertificateProfile], dict[str, str]]:
    """Profiles from config; a bad one raises ConfigError naming the profile and key."""
    profiles, cas = {}, {}
    for name, mapping in config["profiles"].items():
        try:
            profiles[name], cas[name] = profile_with_ca(name, mapping)
        except OverrideError as exc:
            raise ConfigError(f"key 'profiles.{name}.{exc.field}': {exc.text}") from None
    for key in ("pki.personal_profile", "pki.functional_profile"):
        if config[key] not in profiles:
            raise ConfigError(f"key '{key}': no profile named '{config[key]}'")
    return profiles, cas


def build_runtime(config: dict[str, Any], engine: Engine | None = None) -> Runtime:
    return Runtime(config=config, engine=engine or make_engine(
        config["database_url"], hide_parameters=config["logging.hide_sql_parameters"]))
