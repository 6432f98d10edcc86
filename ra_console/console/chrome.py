"""What every console page repeats and no request changes: the main menu (the same for the
same language, roles and current page) and Flask-Admin's static file URLs. Made once per
process instead of on every page (about 1.3 ms of a list page's 10; docs/performance.md)."""

from __future__ import annotations

from functools import lru_cache

from flask import request, url_for
from flask_babel import get_locale
from markupsafe import Markup

from ra_console.web.current import current_actor

MENUS_MAX = 1000  # languages × role sets × pages; a full cache starts again
_menus: dict[tuple, Markup] = {}


def menu_key(admin_view) -> tuple:
    """What the menu depends on: which views the roles may open (not which institutes),
    the language of the labels, the page marked active, and where the app is mounted."""
    actor = current_actor()
    roles = tuple(sorted(actor.roles)) if actor is not None else ()
    return str(get_locale()), roles, admin_view.endpoint, request.script_root


def cached_menu(key: tuple) -> Markup | None:
    return _menus.get(key)


def keep_menu(key: tuple, html: str) -> Markup:
    if len(_menus) >= MENUS_MAX:
        _menus.clear()
    _menus[key] = Markup(html)
    return _menus[key]


@lru_cache(maxsize=256)
def _static_url(script_root: str, filename: str, version: str | None) -> str:
    return url_for("admin.static", filename=filename, v=version)


def static_url(filename: str, v: str | None = None) -> str:
    """Flask-Admin's admin_static.url() (templates/admin/static.html), remembered."""
    return _static_url(request.script_root, filename, v)


def install(app) -> None:
    app.jinja_env.globals.update(console_menu_key=menu_key, cached_console_menu=cached_menu,
                                 keep_console_menu=keep_menu, console_static_url=static_url)
