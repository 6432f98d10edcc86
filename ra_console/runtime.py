"""The runtime: configuration, profiles, clock, database and services for one process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from .config import ConfigError
from .db import make_engine
from .pki.profiles import CertificateProfile, profile_from_mapping


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    config: dict[str, Any]
    engine: Engine
    profiles: dict[str, CertificateProfile]
    # profile name -> CA connector name ("local", ...)
    profile_cas: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], datetime] = system_clock
    services: dict[str, Any] = field(default_factory=dict)

    def session(self) -> Session:
        """A new session that carries this runtime (conditions and effects read it)."""
        session = Session(self.engine, expire_on_commit=False)
        session.info["runtime"] = self
        return session

    def now(self) -> datetime:
        return self.clock()


CA_NAMES = ("local", "harica", "sectigo")


def load_profiles(config: dict[str, Any]) -> tuple[dict[str, CertificateProfile], dict[str, str]]:
    """Profiles from config; a bad one raises ConfigError naming the profile and key."""
    profiles, cas = {}, {}
    for name, mapping in config["profiles"].items():
        mapping = dict(mapping)
        cas[name] = mapping.pop("ca", "local")
        if cas[name] not in CA_NAMES:
            raise ConfigError(f"key 'profiles.{name}.ca': unknown CA '{cas[name]}' "
                              f"(one of {', '.join(CA_NAMES)})")
        try:
            profiles[name] = profile_from_mapping(name, mapping)
        except ValueError as exc:
            field_name, _, problem = str(exc).partition(":")
            raise ConfigError(f"key 'profiles.{name}.{field_name}':{problem}") from None
    for key in ("pki.personal_profile", "pki.functional_profile"):
        if config[key] not in profiles:
            raise ConfigError(f"key '{key}': no profile named '{config[key]}'")
    return profiles, cas


def build_runtime(config: dict[str, Any], engine: Engine | None = None) -> Runtime:
    profiles, cas = load_profiles(config)
    return Runtime(config=config, engine=engine or make_engine(config["database_url"]),
                   profiles=profiles, profile_cas=cas)
