"""SQLModel tables; importing this package registers every table on SQLModel.metadata."""

from .audit import AuditEvent, AuditHead
from .certificate import Certificate
from .challenge import Challenge
from .identity import IdentityCheck
from .mailbox import Mailbox, MailboxAddress
from .organization import Institute, InstituteDomain, Person, RoleAssignment
from .outbox import OutboxMessage
from .setting import Setting

__all__ = [
    "AuditEvent", "AuditHead", "Certificate", "Challenge", "IdentityCheck", "Institute",
    "InstituteDomain", "Mailbox", "MailboxAddress", "OutboxMessage", "Person",
    "RoleAssignment", "Setting",
]
