"""OpenAPI operation ids and links: a created row points to what can be done with it next,
so a client (and Schemathesis' stateful phase) can follow `id` from one call to the next."""

from __future__ import annotations

ROW_ID = "$response.body#/id"


def follow(status: int, *operation_ids: str, mailbox: bool = False) -> dict:
    """`responses` doc: from this response's row id to each operation on that row (and,
    for a certificate, from its `mailbox` to that mailbox)."""
    links = {operation_id: {"operationId": operation_id, "parameters": {"public_id": ROW_ID}}
             for operation_id in operation_ids}
    if mailbox:
        links["getMailbox"] = {"operationId": "getMailbox",
                               "parameters": {"public_id": "$response.body#/mailbox"}}
    return {str(status): {"links": links}}


MAILBOX_OPERATIONS = ("getMailbox", "setMailboxAliases", "sendMailboxChallenge",
                      "deactivateMailbox", "approveMailboxName")
CERTIFICATE_OPERATIONS = ("getCertificate", "getCertificateChain", "revokeCertificate",
                          "approveCertificate")
