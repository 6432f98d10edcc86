"""Mail: render mail_templates/<name>/<lang>/ and deliver via SMTP or the demo catcher."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from email import policy, utils
from email.message import EmailMessage
from pathlib import Path

from cryptography import x509
from flask import current_app
from flask_mail import Mail
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ra_console.adapters.outbox import current_message
from ra_console.core.config import PROJECT_ROOT
from ra_console.pki._common import load_private_key_file
from ra_console.pki.smime import signed_body

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


class SigningUnavailable(Exception):
    """Mail must be signed but the RA's signing certificate or key cannot be read."""


def load_signer(config: dict):
    """(certificate, key, chain) of the RA's mail signer."""
    try:
        certs = x509.load_pem_x509_certificates(Path(config["mail.signing_cert"]).read_bytes())
        key = load_private_key_file(Path(config["mail.signing_key"]))
    except (OSError, ValueError) as exc:
        raise SigningUnavailable(f"cannot load the mail signing certificate/key: {exc}") from None
    return certs[0], key, certs[1:]


def build_message(recipient: str, rendered: RenderedMail, config: dict) -> bytes:
    """The message as it goes over the wire: headers by Python's email package (Flask-Mail
    folds long non-ASCII subjects wrongly), body S/MIME-signed unless signing is off."""
    head = EmailMessage(policy=policy.SMTP)
    head["From"] = config["mail.sender"]
    head["To"] = recipient
    if config["mail.reply_to"]:
        head["Reply-To"] = config["mail.reply_to"]
    head["Subject"] = rendered.subject
    head["Date"] = utils.formatdate(localtime=False)
    domain = utils.parseaddr(config["mail.sender"])[1].rsplit("@", 1)[-1]
    origin = current_message.get()
    if origin is not None:
        digest = hashlib.sha256(origin.dedupe_key.encode()).hexdigest()[:16]
        head["Message-ID"] = f"<ra-{origin.id}.{digest}@{domain}>"
    else:
        head["Message-ID"] = utils.make_msgid(domain=domain)
    head["MIME-Version"] = "1.0"
    if not config["mail.sign"]:
        head.set_content(rendered.body, cte="quoted-printable")
        return head.as_bytes()
    cert, key, chain = load_signer(config)
    content_type, body = signed_body(rendered.body, cert, key, chain)
    # The body is already the exact signed MIME structure: serialize only the headers
    # (the email package would re-render a multipart body) and append it unchanged.
    headers = head.as_bytes()
    return (headers[:-2] + policy.SMTP.fold_binary("Content-Type", content_type) + b"\r\n"
            + body)


def deliver(recipient: str, rendered: RenderedMail) -> None:
    """Send one message (inside an app context): SMTP via Flask-Mail's connection (TLS and
    login from config), or the demo catcher folder."""
    config = current_app.extensions["ra_runtime"].config
    message = build_message(recipient, rendered, config)
    if config["mail.catcher"]:
        folder = Path(config["instance_path"]) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{time.time_ns()}.eml").write_bytes(message)
        return
    sender = utils.parseaddr(config["mail.sender"])[1]
    with mail.connect() as connection:
        connection.host.sendmail(sender, [recipient], message)
