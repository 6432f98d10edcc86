"""Effects that workflow definitions name: each only writes outbox rows."""

from __future__ import annotations

from ra_console.adapters.challenges import kill_challenges as kill, new_challenges
from ra_console.adapters.outbox import enqueue
from ra_console.queries.addresses import deactivation_recipients
from ra_console.workflow.context import FireContext
from ra_console.workflow.registry import effect


@effect("enqueue_ca_submit")
def enqueue_ca_submit(ctx: FireContext) -> None:
    enqueue(ctx.session, "ca.submit", {"certificate": ctx.row.public_id},
            f"ca.submit:{ctx.row.public_id}")


@effect("enqueue_ca_revoke")
def enqueue_ca_revoke(ctx: FireContext) -> None:
    enqueue(ctx.session, "ca.revoke", {"certificate": ctx.row.public_id},
            f"ca.revoke:{ctx.row.public_id}")


def _notify(ctx: FireContext, template: str) -> None:
    enqueue(ctx.session, "mail", {"template": template, "certificate": ctx.row.public_id},
            f"mail:{template}:{ctx.row.public_id}")


@effect("notify_received")
def notify_received(ctx: FireContext) -> None:
    _notify(ctx, "request_received")


@effect("notify_issued")
def notify_issued(ctx: FireContext) -> None:
    _notify(ctx, "certificate_issued")


@effect("notify_approved")
def notify_approved(ctx: FireContext) -> None:
    _notify(ctx, "request_approved")


@effect("notify_rejected")
def notify_rejected(ctx: FireContext) -> None:
    _notify(ctx, "request_rejected")


@effect("notify_revoked")
def notify_revoked(ctx: FireContext) -> None:
    _notify(ctx, "certificate_revoked")


@effect("send_challenges")
def send_challenges(ctx: FireContext) -> None:
    """New challenges for the row's unconfirmed addresses (old links die), one mail each."""
    config = ctx.runtime.config
    for challenge in new_challenges(ctx.session, ctx.row, secret=config["secret_key"],
                                    now=ctx.runtime.now(),
                                    valid_hours=config["addresses.challenge_valid_hours"]):
        enqueue(ctx.session, "mail.challenge", {"challenge": challenge.public_id},
                f"mail.challenge:{challenge.public_id}")


@effect("kill_challenges")
def kill_challenges(ctx: FireContext) -> None:
    kill(ctx.session, ctx.row, ctx.runtime.now())


@effect("notify_deactivated")
def notify_deactivated(ctx: FireContext) -> None:
    """Tell the person and the institute's network contacts (one message each)."""
    stamp = ctx.runtime.now().isoformat()
    for address, lang in deactivation_recipients(ctx.session, ctx.row):
        enqueue(ctx.session, "mail.deactivated",
                {"mailbox": ctx.row.public_id, "to": address, "lang": lang},
                f"mail.deactivated:{ctx.row.public_id}:{address}:{stamp}")


def _directory_wanted(ctx: FireContext) -> bool:
    return bool(ctx.runtime.config["directory.enabled"]) and (
        "directory_publication" in (ctx.row.consents or {}))


@effect("publish_directory")
def publish_directory(ctx: FireContext) -> None:
    """Into the person's directory entry (LDAP), when they consented to publication."""
    if _directory_wanted(ctx):
        enqueue(ctx.session, "directory.publish", {"certificate": ctx.row.public_id},
                f"directory.publish:{ctx.row.public_id}")


@effect("unpublish_directory")
def unpublish_directory(ctx: FireContext) -> None:
    """Out of the directory again (revoked or expired)."""
    if _directory_wanted(ctx):
        enqueue(ctx.session, "directory.unpublish", {"certificate": ctx.row.public_id},
                f"directory.unpublish:{ctx.row.public_id}")


REMINDER_KEY = "mail.admin_alert:problem_report_reminder:{report}:{step}"


@effect("remind_report_admins")
def remind_report_admins(ctx: FireContext) -> None:
    """One reminder mail to the RA admins per case and step (12 h, 2 h left)."""
    report, step = ctx.row, ctx.data["step"]
    enqueue(ctx.session, "mail.admin_alert", {
        "template": "problem_report_reminder",
        "context": {"serial": report.serial, "kind": report.kind, "hours": step,
                    "due": f"{report.due_at:%Y-%m-%d %H:%M} UTC"},
        "path": f"/console/problem_reports/actions/{report.id}"},
        REMINDER_KEY.format(report=report.public_id, step=step))


@effect("notify_report_conclusion")
def notify_report_conclusion(ctx: FireContext) -> None:
    """The conclusion to the reporter and to the certificate's holder, one mail each."""
    for to in ("reporter", "subscriber"):
        enqueue(ctx.session, "mail.problem_report", {"report": ctx.row.public_id, "to": to},
                f"mail.problem_report:{ctx.row.public_id}:{to}")
