"""SQLModel tables; importing this package registers every table on SQLModel.metadata."""

from ra_console.models.api_token import ApiToken
from ra_console.models.audit import AuditEvent, AuditHead
from ra_console.models.certificate import Certificate
from ra_console.models.certificate_identifier import CertificateIdentifier
from ra_console.models.certificate_name import CertificateName
from ra_console.models.challenge import Challenge
from ra_console.models.identity import IdentityCheck
from ra_console.models.mailbox import Mailbox, MailboxAddress
from ra_console.models.organization import Institute, InstituteDomain, Person, RoleAssignment
from ra_console.models.outbox import OutboxMessage
from ra_console.models.problem_report import ProblemReport
from ra_console.models.runner import RunnerHeartbeat
from ra_console.models.scim import ScimClient
from ra_console.models.setting import Setting

__all__ = [
    "ApiToken", "AuditEvent", "AuditHead", "Certificate", "CertificateIdentifier", "CertificateName", "Challenge", "IdentityCheck", "Institute",
    "InstituteDomain", "Mailbox", "MailboxAddress", "OutboxMessage", "Person", "ProblemReport",
    "RoleAssignment", "RunnerHeartbeat", "ScimClient", "Setting",
]
