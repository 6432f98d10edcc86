"""Configuration: defaults, site file, environment; bad keys stop start-up naming the key."""

from __future__ import annotations

import pytest

from ra_console.adapters.runtime import load_profiles
from ra_console.core.config import ConfigError, load_config


@pytest.fixture
def env(tmp_path):
    return {"RA_INSTANCE_PATH": str(tmp_path / "inst")}


def test_defaults_load_and_fill_paths(env, tmp_path):
    config = load_config(environ=env)
    assert config["auth.mode"] == "header"
    assert config["auth.session_lifetime_minutes"] == 30
    assert config["auth.session_idle_minutes"] == 10
    assert config["database_url"] == f"sqlite:///{tmp_path / 'inst' / 'ra.sqlite'}"
    assert config["pki.local_ca_path"] == str(tmp_path / "inst" / "ca")


def test_secret_key_created_once_with_0600(env, tmp_path):
    first = load_config(environ=env)["secret_key"]
    second = load_config(environ=env)["secret_key"]
    assert first == second and len(first) > 40
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_site_file_overrides(env, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('public_base_url = "https://ra.uni.example.org"\n'
                    '[auth]\nsession_idle_minutes = 5\n')
    config = load_config(environ={**env, "RA_CONFIG": str(site)})
    assert config["public_base_url"] == "https://ra.uni.example.org"
    assert config["auth.session_idle_minutes"] == 5


@pytest.mark.parametrize("content, key", [
    ("colour = 1\n", "colour"),
    ("[auth]\nsesion_idle_minutes = 5\n", "auth.sesion_idle_minutes"),
    ("[auth]\nsession_idle_minutes = \"five\"\n", "auth.session_idle_minutes"),
    ("[auth]\nsession_idle_minutes = 0\n", "auth.session_idle_minutes"),
    ("[auth]\nmode = \"kerberos\"\n", "auth.mode"),
    ("demo = \"yes\"\n", "demo"),
    ("settings_cache_seconds = -1\n", "settings_cache_seconds"),
    ("[profiles.personal]\nvalidity_days = 900\n", "profiles.personal.validity_days"),
    ("[profiles.personal]\nflavour = 1\n", "profiles.personal.flavour"),
    ("[lifecycle]\nbreaker_percent = 0\n", "lifecycle.breaker_percent"),
    ("[lifecycle]\nbreaker_percent = 101\n", "lifecycle.breaker_percent"),
    ("[auth]\nrequired_attributes = [\"shoe_size\"]\n", "auth.required_attributes"),
])
def test_bad_site_keys_are_named(env, tmp_path, content, key):
    site = tmp_path / "site.toml"
    site.write_text(content)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_profiles(load_config(environ={**env, "RA_CONFIG": str(site)}))


def test_secret_in_file_is_refused(env, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('secret_key = "s3cret"\n')
    with pytest.raises(ConfigError, match="RA_SECRET_KEY"):
        load_config(environ={**env, "RA_CONFIG": str(site)})


def test_broken_toml_is_reported(env, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(environ={**env, "RA_CONFIG": str(site)})


def test_environment_overrides_with_types(env):
    config = load_config(environ={
        **env, "RA_DATABASE_URL": "postgresql+psycopg://ra@127.0.0.1/ra",
        "RA_AUTH_SESSION_IDLE_MINUTES": "7", "RA_AUTH_SECURE_COOKIES": "true",
        "RA_AUTH_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2", "RA_SECRET_KEY": "from-env",
    })
    assert config["database_url"].startswith("postgresql")
    assert config["auth.session_idle_minutes"] == 7
    assert config["auth.secure_cookies"] is True
    assert config["auth.trusted_proxies"] == ["10.0.0.1", "10.0.0.2"]
    assert config["secret_key"] == "from-env"


@pytest.mark.parametrize("name, value, key", [
    ("RA_AUTH_SESION", "1", "RA_AUTH_SESION"),
    ("RA_AUTH_SESSION_IDLE_MINUTES", "ten", "RA_AUTH_SESSION_IDLE_MINUTES"),
    ("RA_DEMO", "maybe", "RA_DEMO"),
])
def test_bad_environment_is_named(env, name, value, key):
    with pytest.raises(ConfigError, match=key):
        load_config(environ={**env, name: value})


def test_dev_sign_in_needs_demo_mode(env):
    with pytest.raises(ConfigError, match="auth.mode"):
        load_config(environ={**env, "RA_AUTH_MODE": "dev"})
    assert load_config(environ={**env, "RA_AUTH_MODE": "dev", "RA_DEMO": "1"})["demo"]


def test_profile_must_exist(env, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[pki]\npersonal_profile = "nope"\n')
    with pytest.raises(ConfigError, match="pki.personal_profile"):
        load_profiles(load_config(environ={**env, "RA_CONFIG": str(site)}))


def test_languages_must_be_supported(env):
    with pytest.raises(ConfigError, match="languages"):
        load_config(environ={**env, "RA_LANGUAGES": "de,fr"})


@pytest.mark.parametrize("entry", ["=ra_admin", "x=superuser", "x=network_contact",
                                   "x=ra_admin:ITC"])
def test_bad_role_map_entries(env, tmp_path, entry):
    site = tmp_path / "site.toml"
    site.write_text(f'[auth]\nrole_map = ["{entry}"]\n')
    with pytest.raises(ConfigError, match="auth.role_map"):
        load_config(environ={**env, "RA_CONFIG": str(site)})


def test_unknown_ca_name_stops_start_up(env, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[profiles.personal]\nca = "harika"\n')
    with pytest.raises(ConfigError, match="profiles.personal.ca"):
        load_profiles(load_config(environ={**env, "RA_CONFIG": str(site)}))


def test_role_map_in_header_mode_needs_the_proxy_secret(env, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[auth]\nmode = "header"\nrole_map = ["urn:ra:admin=ra_admin"]\n')
    with pytest.raises(ConfigError, match="RA_PROXY_SECRET"):
        load_config(environ={**env, "RA_CONFIG": str(site)})
    config = load_config(environ={**env, "RA_CONFIG": str(site), "RA_PROXY_SECRET": "s"})
    assert config["auth.proxy_secret"] == "s"


def test_header_mode_without_proxy_secret_says_why_it_cannot_know(env, caplog):
    load_config(environ={**env, "RA_AUTH_MODE": "header"})
    assert "cannot know whether the proxy strips" in caplog.text
    assert "X-Remote-Entitlement" in caplog.text


def test_proxy_secret_in_a_file_is_refused(env, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[auth]\nproxy_secret = "s"\n')
    with pytest.raises(ConfigError, match="RA_PROXY_SECRET"):
        load_config(environ={**env, "RA_CONFIG": str(site)})
