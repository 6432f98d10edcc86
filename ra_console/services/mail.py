"""Mail: render mail_templates/<name>/<lang>/ and deliver via SMTP or the demo catcher."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from email import policy, utils
from email.message import EmailMessage

from flask_mail import Mail
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


def build_message(recipient: str, rendered: RenderedMail, config: dict) -> EmailMessage:
    """The message as it goes over the wire. Python's email package folds headers correctly
    (Flask-Mail's own folding splits words in long non-ASCII subjects)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = config["mail.sender"]
    message["To"] = recipient
    if config["mail.reply_to"]:
        message["Reply-To"] = config["mail.reply_to"]
    message["Subject"] = rendered.subject
    message["Date"] = utils.formatdate(localtime=False)
    message["Message-ID"] = utils.make_msgid(domain=config["mail.sender"].rsplit("@", 1)[-1]
                                             .strip(">"))
    message.set_content(rendered.body)
    return message


def deliver(recipient: str, rendered: RenderedMail) -> None:
    """Send one message (inside an app context): SMTP via Flask-Mail's connection (TLS and
    login from config), or the demo catcher folder."""
    config = current_app.extensions["ra_runtime"].config
    message = build_message(recipient, rendered, config)
    if config["mail.catcher"]:
        folder = Path(config["instance_path"]) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{time.time_ns()}.eml").write_bytes(message.as_bytes())
        return
    sender = utils.parseaddr(config["mail.sender"])[1]
    with mail.connect() as connection:
        connection.host.sendmail(sender, [recipient], message.as_bytes())
