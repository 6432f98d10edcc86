"""Effects that workflow definitions name: each only writes outbox rows."""

from __future__ import annotations

from ..services.outbox import enqueue
from .context import FireContext
from .registry import effect


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


@effect("notify_rejected")
def notify_rejected(ctx: FireContext) -> None:
    _notify(ctx, "request_rejected")


@effect("notify_revoked")
def notify_revoked(ctx: FireContext) -> None:
    _notify(ctx, "certificate_revoked")
