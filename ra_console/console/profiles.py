"""Einstellungen → certificate profiles and CA connections: RA admins edit them, auditors
read them. The configuration defines the profiles and their defaults; what an admin changes
is kept as an override (rules and merging: ra_console/overrides.py), checked with the
start-up rules, and every change is an audit event. Secrets stay in the environment."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import or_
from sqlmodel import select

from ra_console.adapters import overrides
from ra_console.adapters.overrides import CA_KEYS, CA_NAMES, CA_SECRETS, OverrideError
from ra_console.adapters.settings import ca_override, profile_override
from ra_console.console.base import _main_role
from ra_console.core.db import get_session
from ra_console.models import Setting
from ra_console.usecases import settings as stored
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.messages import rule_message


def field_label(name: str) -> str:
    return {
        "name": _("Profile"), "ca": _("CA"), "validity_days": _("Validity (days)"),
        "key_algorithms": _("Key algorithms"), "renewal_window_days": _("Renewal window (days)"),
        "approval_required": _("Approval required"), "fixed_subject": _("Fixed attributes"),
        "base_url": _("Base URL"), "organization_id": _("Organisation id"),
        "cert_types": _("Certificate types"), "timeout_seconds": _("Timeout (seconds)"),
        "trust_anchors": _("Trust anchors (PEM file)"), "auth": _("Authentication"),
        "token_url": _("Token URL"), "client_id": _("Client id"), "login": _("Login"),
        "customer_uri": _("Customer URI"), "org_id": _("Organisation id (orgId)"),
    }.get(name, name)


def validation_label(validation: str) -> str:
    return {"mailbox": _("mailbox-validated"), "sponsor": _("sponsor-validated")}.get(
        validation, validation)


def field_error(field: str, code: str, params: dict | None = None) -> str:
    """A refused value, named by its field, in the reader's language."""
    return _("%(field)s: %(problem)s", field=field_label(field),
             problem=rule_message(code, params))


class FormError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _whole_number(form, key: str, errors: dict) -> int | None:
    raw = form.get(key, "").strip()
    try:
        return int(raw)
    except ValueError:
        errors[key] = field_error(key, "wrong_type", {"expected": "int", "got": "str"})
        return None


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.replace("\r", "").split("\n") if line.strip()]


def parse_profile_form(form) -> dict:
    """The admin's input as typed values; FormError with a message per unreadable field."""
    errors: dict[str, str] = {}
    values = {
        "ca": form.get("ca", ""),
        "validity_days": _whole_number(form, "validity_days", errors),
        "renewal_window_days": _whole_number(form, "renewal_window_days", errors),
        "approval_required": bool(form.get("approval_required")),
        "key_algorithms": [a.strip() for a in form.get("key_algorithms", "").split(",")
                           if a.strip()],
    }
    pairs = []
    for line in _lines(form.get("fixed_subject", "")):
        attribute, sep, value = line.partition("=")
        if not sep:
            errors["fixed_subject"] = _("%(field)s: each line must read ATTRIBUTE=value "
                                        "(e.g. O=Example University)",
                                        field=field_label("fixed_subject"))
            break
        pairs.append([attribute.strip(), value.strip()])
    values["fixed_subject"] = pairs
    if errors:
        raise FormError(errors)
    return values


def parse_ca_form(form, config: dict, ca: str) -> dict:
    errors: dict[str, str] = {}
    values = {}
    for key in CA_KEYS[ca]:
        default = config[f"{ca}.{key}"]
        if isinstance(default, int):
            values[key] = _whole_number(form, key, errors)
        elif isinstance(default, list):
            values[key] = _lines(form.get(key, ""))
        else:
            values[key] = form.get(key, "").strip()
    if errors:
        raise FormError(errors)
    return values


def profile_form_values(profile, ca: str) -> dict[str, str]:
    """What the form shows for a profile in force."""
    return {"ca": ca, "validity_days": str(profile.validity_days),
            "renewal_window_days": str(profile.renewal_window_days),
            "approval_required": "1" if profile.approval_required else "",
            "key_algorithms": ", ".join(profile.key_algorithms),
            "fixed_subject": "\n".join(f"{k}={v}" for k, v in profile.fixed_subject)}


def ca_form_values(config: dict, ca: str) -> dict[str, str]:
    return {key: "\n".join(config[f"{ca}.{key}"]) if isinstance(config[f"{ca}.{key}"], list)
            else str(config[f"{ca}.{key}"]) for key in CA_KEYS[ca]}


def secrets_state(config: dict, ca: str) -> dict[str, bool]:
    """Environment variable -> whether it is set (never its value)."""
    return {env: bool(config.get(key)) for key, env in CA_SECRETS[ca].items()}


class ProfileEditing:
    """Pages of the settings view: /profiles/<profile> and /ca/<ca>, read by its read
    roles, changed only by its write roles (RA admins)."""

    def _overview(self, session, runtime) -> dict:
        rows = {s.key: s for s in session.exec(select(Setting).where(
            or_(Setting.key.like("profile:%"), Setting.key.like("ca:%")))).all()}
        state = runtime.settings()
        return {"profiles": runtime.profiles, "profile_cas": runtime.profile_cas,
                "override_rows": rows, "override_problems": state.problems,
                "config_ttl": runtime.config["settings_cache_seconds"],
                "remote_cas": {ca: {"values": ca_form_values(runtime.ca_config(ca), ca),
                                    "secrets": secrets_state(runtime.config, ca)}
                               for ca in CA_KEYS},
                "local_ca": {"base_url": runtime.config["pki.base_url"],
                             "path": runtime.config["pki.local_ca_path"]}}

    def _changes_allowed(self, form) -> None:
        if not self.may_write:
            abort(403)
        if not form.validate_on_submit():
            abort(400)

    @expose("/profiles/<profile>", methods=["GET", "POST"])
    def edit_profile(self, profile):
        session = get_session()
        runtime = session.info["runtime"]
        if profile not in runtime.config["profiles"]:
            abort(404)
        form = Form()
        values = profile_form_values(runtime.profiles[profile], runtime.profile_cas[profile])
        done, values, errors = self._post(
            session, runtime, form, overrides.profile_key(profile), values,
            lambda actor: stored.set_profile_override(
                session, runtime, actor, _main_role(actor), profile,
                parse_profile_form(request.form)),
            saved=_("Profile %(name)s saved.", name=profile),
            reset=_("Profile %(name)s: the configuration's values are in force again.",
                    name=profile))
        if done:
            return done
        return self.render(
            "console/profile_edit.html", form=form, name=profile,
            profile=runtime.profiles[profile], values=values, errors=errors,
            ca_names=CA_NAMES, may_write=self.may_write, labels=field_label,
            configured=profile_form_values(*overrides.profile_with_ca(
                profile, runtime.config["profiles"][profile])),
            override=profile_override(session, profile)), 400 if errors else 200

    @expose("/ca/<ca>", methods=["GET", "POST"])
    def edit_ca(self, ca):
        if ca not in CA_KEYS:
            abort(404)
        session = get_session()
        runtime = session.info["runtime"]
        form = Form()
        done, values, errors = self._post(
            session, runtime, form, overrides.ca_key(ca), ca_form_values(runtime.ca_config(ca), ca),
            lambda actor: stored.set_ca_override(
                session, runtime, actor, _main_role(actor), ca,
                parse_ca_form(request.form, runtime.config, ca)),
            saved=_("CA connection %(name)s saved.", name=ca),
            reset=_("CA connection %(name)s: the configuration's values are in force again.",
                    name=ca))
        if done:
            return done
        return self.render(
            "console/ca_edit.html", form=form, name=ca, keys=CA_KEYS[ca], values=values,
            errors=errors, may_write=self.may_write, labels=field_label,
            configured=ca_form_values(runtime.config, ca),
            secrets=secrets_state(runtime.config, ca),
            override=ca_override(session, ca)), 400 if errors else 200

    def _post(self, session, runtime, form, key: str, values: dict, save, *, saved: str,
              reset: str):
        """A POST of an edit page: reset the override, or save the form through `save`.
        Returns (redirect or None, the values to show again, field errors)."""
        if request.method != "POST":
            return None, values, {}
        self._changes_allowed(form)
        actor = current_actor()
        if request.form.get("action") == "reset":
            stored.reset_override(session, runtime, actor, _main_role(actor), key)
            return self._saved(session, runtime, reset), values, {}
        typed = {k: request.form.get(k, "") for k in values}  # shown again as typed
        try:
            save(actor)
        except FormError as exc:
            return None, typed, exc.errors
        except OverrideError as exc:
            return None, typed, {exc.field: field_error(exc.field, exc.code, exc.params)}
        return self._saved(session, runtime, saved), typed, {}

    def _saved(self, session, runtime, message: str):
        session.commit()
        runtime.invalidate_settings()  # in force in this process at once
        flash(message, "success")
        return redirect(url_for(".index"))
