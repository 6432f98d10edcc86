"""What the console shows instead of raw identifiers: column names and stored values
(roles, kinds, outbox kinds, audit triggers, job names, …) in the reader's language.

Every console model view takes its column labels from COLUMN_LABELS (console/base.py), so
a new column without a label shows up in tests/functional/test_console_language.py."""

from __future__ import annotations

from flask_babel import lazy_gettext

from ra_console.workflow import workflows

COLUMN_LABELS = {
    # shared
    "id": lazy_gettext("No."), "public_id": lazy_gettext("Reference"), "status": lazy_gettext("Status"),
    "created_at": lazy_gettext("Created"), "person_id": lazy_gettext("Person"), "institute_id": lazy_gettext("Institute"),
    "source": lazy_gettext("Source"), "comment": lazy_gettext("Comment"),
    "person": lazy_gettext("Person"), "institute": lazy_gettext("Institute"),
    "mailbox.institute": lazy_gettext("Institute"),
    # certificates
    "mailbox_id": lazy_gettext("Mailbox"), "profile": lazy_gettext("Profile"), "addresses": lazy_gettext("E-mail addresses"),
    "subject": lazy_gettext("Subject"), "given_name": lazy_gettext("Given name"), "surname": lazy_gettext("Surname"),
    "common_name": lazy_gettext("Name (CN)"), "key_algorithm": lazy_gettext("Key algorithm"),
    "csr_pem": lazy_gettext("Certificate request (PEM)"), "spki_sha256": lazy_gettext("Key fingerprint (SHA-256)"),
    "origin": lazy_gettext("Key made"), "consents": lazy_gettext("Consents"), "ca_name": lazy_gettext("CA"),
    "ca_ref": lazy_gettext("CA reference"), "serial": lazy_gettext("Serial number"), "not_before": lazy_gettext("Valid from"),
    "not_after": lazy_gettext("Valid until"), "cert_pem": lazy_gettext("Certificate (PEM)"),
    "chain_pem": lazy_gettext("Chain (PEM)"), "issued_at": lazy_gettext("Issued"),
    "lint_findings": lazy_gettext("Certificate check findings"), "revoked_at": lazy_gettext("Revoked"),
    "revocation_reason": lazy_gettext("Revocation reason"), "directory_state": lazy_gettext("Directory"),
    "directory_dn": lazy_gettext("Directory entry"), "offboard_at": lazy_gettext("Revocation scheduled for"),
    "offboard_reason": lazy_gettext("Reason for the scheduled revocation"),
    # mailboxes
    "kind": lazy_gettext("Type"), "display_name": lazy_gettext("Display name"), "owner_id": lazy_gettext("Owner"),
    "applicant_id": lazy_gettext("Applicant"), "name_approved_by": lazy_gettext("Name approved by"),
    "name_approved_at": lazy_gettext("Name approved"), "address": lazy_gettext("E-mail address"),
    "is_primary": lazy_gettext("Primary address"), "verified_at": lazy_gettext("Confirmed"),
    "method": lazy_gettext("Confirmed by"),
    # persons, roles, institutes, domains
    "username": lazy_gettext("User name"), "affiliations": lazy_gettext("Affiliations"),
    "legal_given_name": lazy_gettext("Legal given name"), "legal_surname": lazy_gettext("Legal surname"),
    "locale": lazy_gettext("Language"), "last_login_at": lazy_gettext("Last sign-in"), "role": lazy_gettext("Role"),
    "code": lazy_gettext("Code"), "name_de": lazy_gettext("Name (German)"), "name_en": lazy_gettext("Name (English)"),
    "domain": lazy_gettext("Mail domain"),
    # identity checks
    "code_hash": lazy_gettext("Code (hash)"), "consent_at": lazy_gettext("Consent given"),
    "verifier": lazy_gettext("Verified by"), "document_type": lazy_gettext("Document"),
    "document_issuer": lazy_gettext("Issued by"), "document_number_hash": lazy_gettext("Document number (hash)"),
    "document_number_last": lazy_gettext("Document number (last digits)"),
    "document_expiry": lazy_gettext("Document valid until"), "valid_until": lazy_gettext("Valid until"),
    "reject_reason": lazy_gettext("Reason for rejection"),
    # problem reports
    "certificate_id": lazy_gettext("Certificate"), "description": lazy_gettext("Description"),
    "reporter_email": lazy_gettext("Reported by (e-mail)"), "reporter_lang": lazy_gettext("Reporter's language"),
    "due_at": lazy_gettext("Act by"), "time_left": lazy_gettext("Time left"),
    "closed_at": lazy_gettext("Closed"), "closed_by": lazy_gettext("Closed by"),
    "conclusion": lazy_gettext("Conclusion"), "step": lazy_gettext("Reminder"),
    "reason": lazy_gettext("Reason"), "report": lazy_gettext("Problem report"),
    "hours": lazy_gettext("Hours left"), "due": lazy_gettext("Act by"),
    # outbox
    "payload": lazy_gettext("Content"), "template": lazy_gettext("Message"), "certificate": lazy_gettext("Certificate"),
    "mailbox": lazy_gettext("Mailbox"), "challenge": lazy_gettext("Challenge"), "to": lazy_gettext("To"),
    "lang": lazy_gettext("Language"), "request_id": lazy_gettext("Request ID"),
    "external_id": lazy_gettext("IdM identifier"), "idm_emails": lazy_gettext("IdM addresses"),
    "idm_active": lazy_gettext("Active in the IdM"), "idm_removed_at": lazy_gettext("Removed from the IdM"),
    "idm_version": lazy_gettext("IdM version"), "idm_updated_at": lazy_gettext("Last IdM change"),
    "created": lazy_gettext("Created"), "changed": lazy_gettext("Changed"), "problems": lazy_gettext("Problems"), "dedupe_key": lazy_gettext("Duplicate key"), "state": lazy_gettext("State"),
    "attempts": lazy_gettext("Attempts"), "next_attempt_at": lazy_gettext("Next attempt"),
    "last_error": lazy_gettext("Last error"), "done_at": lazy_gettext("Done"),
    # audit log
    "seq": lazy_gettext("No."), "entity_type": lazy_gettext("Record type"), "entity_id": lazy_gettext("Record"),
    "trigger": lazy_gettext("Action"), "from_state": lazy_gettext("From"), "to_state": lazy_gettext("To"),
    "actor": lazy_gettext("By"), "at": lazy_gettext("Time"), "ip": lazy_gettext("IP address"), "data": lazy_gettext("Details"),
    "prev_hash": lazy_gettext("Previous hash"), "hash": lazy_gettext("Hash"),
    # settings
    "key": lazy_gettext("Setting"), "value": lazy_gettext("Value"), "updated_by": lazy_gettext("Changed by"),
    "updated_at": lazy_gettext("Changed"),
}

VALUE_LABELS = {
    "role": {
        "user": lazy_gettext("User"), "network_contact": lazy_gettext("Network contact"),
        "id_verifier": lazy_gettext("Identity verification"), "ra_admin": lazy_gettext("RA admin"),
        "auditor": lazy_gettext("Auditor"), "system": lazy_gettext("System"), "anonymous": lazy_gettext("Not signed in"),
    },
    "kind": {"personal": lazy_gettext("Personal"), "functional": lazy_gettext("Functional mailbox"),
             # problem reports (ra_console/usecases/problem_reports.py KINDS)
             "key_compromise": lazy_gettext("Key compromise"), "misuse": lazy_gettext("Misuse"),
             "wrong_data": lazy_gettext("Wrong data in the certificate"), "other": lazy_gettext("Other problem")},
    "source": {"idm": lazy_gettext("Identity management"), "institute": lazy_gettext("Institute"),
               "console": lazy_gettext("Console"), "sso": lazy_gettext("Single sign-on")},
    "origin": {"browser": lazy_gettext("In the browser"), "upload": lazy_gettext("Uploaded CSR")},
    "method": {"challenge": lazy_gettext("Challenge e-mail"), "idm": lazy_gettext("Identity management")},
    "document_type": {"passport": lazy_gettext("Passport"), "id_card": lazy_gettext("ID card"),
                      "residence_permit": lazy_gettext("Residence permit"),
                      "driving_licence": lazy_gettext("Driving licence")},
    "outbox_kind": {
        "ca.submit": lazy_gettext("Send to the CA"), "ca.revoke": lazy_gettext("Revoke at the CA"),
        "mail": lazy_gettext("E-mail about a certificate"), "mail.alert": lazy_gettext("Alert to RA admins"),
        "mail.challenge": lazy_gettext("Challenge e-mail"),
        "mail.deactivated": lazy_gettext("E-mail: address deactivated"),
        "mail.offboarding": lazy_gettext("E-mail: revocation scheduled"),
        "mail.issuance_lost": lazy_gettext("Alert: certificate signed but not recorded"),
        "mail.digest": lazy_gettext("Weekly digest to a network contact"),
        "mail.problem_report": lazy_gettext("E-mail: conclusion of a problem report"),
        "directory.publish": lazy_gettext("Publish in the directory"),
        "directory.unpublish": lazy_gettext("Remove from the directory"),
    },
    "outbox_state": {"pending": lazy_gettext("Waiting"), "done": lazy_gettext("Done"), "dead": lazy_gettext("Failed")},
    "entity_type": {
        "certificate": lazy_gettext("Certificate"), "mailbox": lazy_gettext("Mailbox"),
        "identity": lazy_gettext("Identity check"), "person": lazy_gettext("Person"), "role": lazy_gettext("Role"),
        "setting": lazy_gettext("Setting"), "export": lazy_gettext("Export"),
        "api_token": lazy_gettext("API token"), "scim_client": lazy_gettext("SCIM client"),
        "audit": lazy_gettext("Audit log"), "problem_report": lazy_gettext("Problem report"),
    },
    # audit events that are not workflow transitions (those have labels in workflows/)
    "trigger": {
        "create": lazy_gettext("Created"), "login": lazy_gettext("Signed in"), "login_failed": lazy_gettext("Sign-in failed"),
        "logout": lazy_gettext("Signed out"), "role_granted": lazy_gettext("Role granted"),
        "role_revoked": lazy_gettext("Role revoked"), "export": lazy_gettext("Exported"),
        "pause": lazy_gettext("Issuance paused"), "resume": lazy_gettext("Issuance resumed"),
        "update": lazy_gettext("Changed"), "reset": lazy_gettext("Reset to the configuration"),
        "approve_name": lazy_gettext("Display name approved"),
        "confirm_address": lazy_gettext("Address confirmed"),
        "idm_changed": lazy_gettext("Changed by the identity management"),
        "breaker_tripped": lazy_gettext("Removals paused (too many at once)"),
        "breaker_confirmed": lazy_gettext("Removals confirmed by an RA admin"),
        "rekeyed": lazy_gettext("Audit chain re-keyed"),
        "safe_mode_entered": lazy_gettext("Safe mode on"),
        "safe_mode_lifted": lazy_gettext("Safe mode lifted"),
        "sign_out_everywhere": lazy_gettext("Signed out everywhere"),
        "api_token_issue": lazy_gettext("API token issued"),
        "api_token_revoke": lazy_gettext("API token revoked"),
        "api_token_use": lazy_gettext("API token used"),
        "scim_client_created": lazy_gettext("SCIM client created"),
        "scim_token_rotated": lazy_gettext("SCIM token renewed"),
        "scim_client_deleted": lazy_gettext("SCIM client deleted"),
        "digest_on": lazy_gettext("Weekly digest ordered"),
        "digest_off": lazy_gettext("Weekly digest stopped"),
        "idm_refused": lazy_gettext("Directory entries refused (attributes missing)"),
    },
    "job": {
        "drain_outbox": lazy_gettext("Outbox (mails, CA, directory)"),
        "poll_ca": lazy_gettext("Ask the CAs for certificates"),
        "send_expiry_reminders": lazy_gettext("Expiry reminders"),
        "offboard_certificates": lazy_gettext("Offboarding"),
        "expire_certificates": lazy_gettext("Expired certificates"),
        "expire_identities": lazy_gettext("Expired identity checks"),
        "refresh_crl": lazy_gettext("Renew the CRLs"),
        "reconcile_local_ca": lazy_gettext("Check the local CA's issuance records"),
        "send_ops_alerts": lazy_gettext("Alerts to RA admins (dead messages, silent runners, CRLs)"),
        "send_weekly_digests": lazy_gettext("Weekly digests to network contacts"),
        "remind_problem_reports": lazy_gettext("Reminders of open problem reports"),
        "sync_ldap_persons": lazy_gettext("Persons from the LDAP directory"),
    },
    "template": {
        "request_received": lazy_gettext("Request received"), "request_approved": lazy_gettext("Request approved"),
        "request_rejected": lazy_gettext("Request rejected"), "certificate_issued": lazy_gettext("Certificate issued"),
        "certificate_revoked": lazy_gettext("Certificate revoked"),
        "expiry_reminder": lazy_gettext("Expiry reminder"),
        "problem_report_reminder": lazy_gettext("Reminder: open problem report"),
        "problem_report_conclusion": lazy_gettext("Conclusion of a problem report"),
    },
    # RFC 5280 reasons the S/MIME BR allow (SBR §7.2.2); pki/revocation.py REASON_FLAGS
    "revocation_reason": {
        "unspecified": lazy_gettext("No reason given"),
        "keyCompromise": lazy_gettext("Private key compromised"),
        "affiliationChanged": lazy_gettext("Affiliation changed (name or organisation)"),
        "superseded": lazy_gettext("Replaced by a new certificate"),
        "cessationOfOperation": lazy_gettext("Mailbox or certificate no longer used"),
        "privilegeWithdrawn": lazy_gettext("Entitlement withdrawn by the RA"),
    },
    "consent": {
        "name_and_mailbox": lazy_gettext("Name and address in the certificate"),
        "data_processing": lazy_gettext("Data processing"),
        "directory_publication": lazy_gettext("Publication in the directory"),
    },
}


def column_label(name: str):
    return COLUMN_LABELS.get(name, name)


def value_label(group: str, value) -> str:
    """The label of a stored value; the value itself when it has none (free text)."""
    if value is None:
        return ""
    label = VALUE_LABELS[group].get(str(value))
    return str(label) if label is not None else str(value)


def trigger_label(entity_type: str, trigger: str, lang: str) -> str:
    """An audit event's action: the workflow's transition label, else our own."""
    workflow = workflows().get(entity_type)
    if workflow is not None:
        for transition in workflow.transitions:
            if transition.trigger == trigger:
                return transition.labels.get(lang) or transition.labels["en"]
    return value_label("trigger", trigger)
