"""Mail: render mail_templates/<name>/<lang>/ and deliver via SMTP or the demo catcher."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_mail import Mail, Message
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..config import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "mail_templates"
mail = Mail()
_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), undefined=StrictUndefined,
                   autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


def render(name: str, languages: list[str], context: dict) -> RenderedMail:
    """One message in the given languages (German and English one after the other when
    the person's language is unknown)."""
    subjects, bodies = [], []
    for lang in languages:
        subjects.append(_env.get_template(f"{name}/{lang}/subject.txt").render(context).strip())
        bodies.append(_env.get_template(f"{name}/{lang}/body.txt").render(context).strip())
    subject = subjects[0] if len(set(subjects)) == 1 else " / ".join(subjects)
    return RenderedMail(subject=subject, body="\n\n-----\n\n".join(bodies) + "\n")


def template_names() -> list[str]:
    return sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir())


def configure(app) -> None:
    config = app.extensions["ra_runtime"].config
    app.config.update(
        MAIL_SERVER=config["mail.server"], MAIL_PORT=config["mail.port"],
        MAIL_USE_TLS=config["mail.use_tls"], MAIL_USE_SSL=config["mail.use_ssl"],
        MAIL_USERNAME=config["mail.username"] or None,
        MAIL_PASSWORD=config["mail_password"] or None,
        MAIL_DEFAULT_SENDER=config["mail.sender"],
    )
    mail.init_app(app)


def deliver(recipient: str, rendered: RenderedMail) -> None:
    """Send one message (inside an app context)."""
    config = current_app.extensions["ra_runtime"].config
    message = Message(subject=rendered.subject, recipients=[recipient], body=rendered.body,
                      reply_to=config["mail.reply_to"] or None)
    if config["mail.catcher"]:
        folder = Path(config["instance_path"]) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.time_ns()}.eml"
        path.write_bytes(message.as_bytes())
        return
    mail.send(message)
