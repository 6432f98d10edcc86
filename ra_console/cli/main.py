"""The `ra-console` command."""

from __future__ import annotations

import getpass
import logging
import os
import signal
import sys
from pathlib import Path

import click

from ra_console.adapters.directory import DirectoryUnavailable
from ra_console.adapters.heartbeat import beat, forget, runner_name
from ra_console.adapters.idm_ldap import IdmDirectoryUnavailable
from ra_console.adapters.migrate import check, revision, upgrade
from ra_console.app import create_app
from ra_console.cli.common import load_runtime
from ra_console.cli.config_check import check_configuration
from ra_console.cli.demo import run_demo
from ra_console.cli.safe_mode import safe_mode_group
from ra_console.core.db import session_scope
from ra_console.core.logs import configure_logging
from ra_console.jobs.scheduler import Leadership, build_scheduler
from ra_console.jobs.sweeps import in_safe_mode, run_once
from ra_console.pki import keyring, requestfile as rf
from ra_console.usecases import ldap_sync
from ra_console.usecases.directory_sync import sync
from ra_console.usecases.local_ca import (
    init_local_ca,
    mail_signer_outdated,
    reconcile_issuance,
    renew_mail_signer,
)
from ra_console.usecases.roles import RoleError, grant_role
from ra_console.workflow import workflows
from ra_console.workflow.audit import AuditChainError, rekey_chain, verify_chain
from ra_console.workflow.definition import WORKFLOWS_DIR, DefinitionError, load_all
from ra_console.workflow.diagram import mermaid

log = logging.getLogger("ra_console.jobs")


_runtime = load_runtime


@click.group()
def main() -> None:
    """RA Console: a Registration Authority for S/MIME certificates."""

@main.group()
def db() -> None:
    """Database schema."""

@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema."""
    runtime = _runtime()
    try:
        ran = upgrade(runtime.engine)
        with session_scope(runtime) as session:
            rekeyed = rekey_chain(session)
    except AuditChainError as exc:
        raise click.ClickException(f"audit chain: {exc}") from None
    finally:
        runtime.engine.dispose()
    for migration in ran:
        click.echo(f"ran migration {migration}")
    if rekeyed:
        click.echo(f"audit chain: {rekeyed} events re-keyed with the audit key")
    click.echo(f"database migrated: {len(ran)} migration(s) ran" if ran
               else "database was up to date: no migration ran")


@db.command("check")
@click.option("--url", default="sqlite://", show_default=True,
              help="An empty database to migrate and compare.")
def db_check(url: str) -> None:
    """Fail if the models and the migrations disagree."""
    diffs = check(url)
    if diffs:
        for diff in diffs:
            click.echo(f"difference: {diff}", err=True)
        raise click.ClickException("models and migrations disagree: run "
                                   "`ra-console db revision -m ...`")
    click.echo("models and migrations agree")


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    revision(_runtime().config["database_url"], message)


@main.group()
def workflow() -> None:
    """Workflow definitions."""

@workflow.command("lint")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def workflow_lint(directory: str | None) -> None:
    """Validate workflows/*.yaml."""
    try:
        found = load_all(Path(directory) if directory else WORKFLOWS_DIR)
    except DefinitionError as exc:
        raise click.ClickException(str(exc)) from None
    for name, wf in found.items():
        click.echo(f"{name}: {len(wf.states)} states, {len(wf.transitions)} transitions, ok")


@workflow.command("diagram")
@click.argument("name")
@click.option("--lang", default="en", type=click.Choice(["de", "en"]))
def workflow_diagram(name: str, lang: str) -> None:
    """Print a Mermaid state diagram of one workflow."""
    if name not in workflows():
        raise click.ClickException(f"no workflow '{name}' (have: {', '.join(workflows())})")
    click.echo(mermaid(workflows()[name], lang), nl=False)


@main.group()
def audit() -> None:
    """The audit log."""

@audit.command("verify")
@click.option("--without-witness", is_flag=True,
              help="Check only the database (e.g. when the witness lines are in syslog).")
def audit_verify(without_witness: bool) -> None:
    """Recompute the keyed chain and compare its head with the witness; fail on any
    changed, deleted or cut-off event, naming it."""
    runtime = _runtime()
    try:
        with runtime.session() as session:
            result = verify_chain(session, use_witness=not without_witness)
    finally:
        runtime.engine.dispose()
    if not result.ok:
        raise click.ClickException(f"audit chain broken after {result.checked} good events: "
                                   f"{result.problem}")
    witnessed = "" if result.witnessed is None else f", witnessed up to #{result.witnessed}"
    click.echo(f"audit chain intact: {result.checked} events{witnessed}")


@main.group()
def config() -> None:
    """The configuration in force."""

@config.command("check")
def config_check() -> None:
    """Check every key, every secret needed and every service the RA must reach."""
    runtime = _runtime()
    try:
        findings = check_configuration(runtime, os.environ)
    finally:
        runtime.engine.dispose()
    for finding in findings:
        click.echo(f"{finding.level.upper():4}  {finding.what}: {finding.detail}")
    failed = [f for f in findings if f.level == "fail"]
    if failed:
        raise click.ClickException(f"{len(failed)} problem(s); see FAIL above")
    click.echo("configuration check passed")


@main.group()
def admin() -> None:
    """Operator roles from the shell (the first RA admin)."""

@admin.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--institute", default=None, help="Institute code (network_contact only).")
def admin_grant(username: str, role: str, institute: str | None) -> None:
    """Grant ROLE to the person USERNAME (their SSO user name); audited."""
    runtime = _runtime()
    try:
        with runtime.session() as session:
            granted = grant_role(session, username, role, institute,
                                 granted_by=f"cli:{getpass.getuser()}")
            session.commit()
    except RoleError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        runtime.engine.dispose()
    where = f" at {institute}" if institute else ""
    click.echo(f"granted {role}{where} to {username}" if granted
               else f"{username} already holds {role}{where}")


@main.group()
def ca() -> None:
    """The embedded local CA."""

@ca.command("init")
def ca_init() -> None:
    """Create the local root and issuing CA in the instance folder."""
    runtime = _runtime()
    try:
        _init_local_ca(runtime)
    finally:
        runtime.engine.dispose()  # reading the profiles may have opened a connection
    click.echo(f"local CA created in {runtime.config['pki.local_ca_path']}")


@ca.command("renew-mail-signer")
@click.option("--if-outdated", is_flag=True,
              help="Only when the certificate is missing or still has keyEncipherment.")
def ca_renew_mail_signer(if_outdated: bool) -> None:
    """Issue a new signing-only certificate and key for the RA's mail signer."""
    runtime = _runtime()
    try:
        if if_outdated and not mail_signer_outdated(runtime):
            click.echo("the mail-signer certificate is current")
            return
        renew_mail_signer(runtime)
    finally:
        runtime.engine.dispose()
    click.echo(f"new mail-signer certificate in {runtime.config['mail.signing_cert']}")


def _init_local_ca(runtime) -> None:
    try:
        init_local_ca(runtime)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def jobs() -> None:
    """Background jobs (outbox, CA polling, expiry)."""

def _exit_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(0)


@jobs.command("run")
def jobs_run() -> None:
    """Run the sweeps forever (one process; not inside web workers)."""
    runtime = _runtime()
    configure_logging(runtime.config)
    app = create_app(runtime=runtime)
    runner = runner_name()
    log.info("job runner %s started", runner)
    # Every runner drains the outbox; the one holding the lock also runs the other sweeps
    # (a standby takes over at its next heartbeat when the leader is gone).
    leadership = Leadership(runtime.engine)
    if in_safe_mode(runtime):
        log.warning("safe mode: no mail, no directory change, no CA call until "
                    "`ra-console safe-mode lift`")
    if leadership.try_to_lead():
        log.info("job runner %s leads: it runs every sweep", runner)
        if not in_safe_mode(runtime):
            reconciled = reconcile_issuance(runtime)  # before anything new is signed
            for serial in reconciled.lost:
                click.echo(f"local CA: certificate {serial} was signed but never recorded: "
                           "revoked, RA admins told", err=True)
    else:
        log.info("job runner %s drains the outbox; another runner leads", runner)
    beat(runtime, runner, leader=leadership.leads)
    click.echo("job runner started; Ctrl-C stops it")
    # systemctl stop and restart send SIGTERM: leave as after Ctrl-C (lock released,
    # heartbeat row removed), or the runner is reported silent 15 minutes later
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        build_scheduler(app, background=False, runner=runner, leadership=leadership).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        leadership.release()
        forget(runtime, runner)
        log.info("job runner %s stopped", runner)


@jobs.command("run-once")
def jobs_run_once() -> None:
    """Run every sweep once and print what it did."""
    runtime = _runtime()
    app = create_app(runtime=runtime)
    try:
        with app.app_context():
            for name, count in run_once(runtime).items():
                click.echo(f"{name}: {count}")
    finally:
        runtime.engine.dispose()


@main.group()
def directory() -> None:
    """Directory (LDAP) publication."""

@directory.command("sync")
@click.option("--dry-run", is_flag=True, help="Only report the differences, change nothing.")
def directory_sync(dry_run: bool) -> None:
    """Reconcile the directory with the database and report every difference."""
    runtime = _runtime()
    try:
        if not runtime.config["directory.enabled"]:
            raise click.ClickException("directory publication is off (directory.enabled)")
        if not dry_run and in_safe_mode(runtime):
            raise click.ClickException("safe mode: no directory changes (ra-console "
                                       "safe-mode status)")
        differences = sync(runtime, fix=not dry_run)
    except DirectoryUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        runtime.engine.dispose()
    for difference in differences:
        click.echo(str(difference))
    verb = "found" if dry_run else "found and fixed (foreign ones left alone)"
    click.echo(f"{len(differences)} difference(s) {verb}")


@main.group()
def idm() -> None:
    """The identity management: persons read from its LDAP directory."""


@idm.command("sync")
@click.option("--full", is_flag=True,
              help="Compare every entry (and remove persons gone from the directory), "
                   "not only those changed since the last run.")
def idm_sync(full: bool) -> None:
    """Read persons from the LDAP directory (ldap_sync.*) through the identity feed."""
    runtime = _runtime()
    try:
        if not runtime.config["ldap_sync.enabled"]:
            raise click.ClickException("the LDAP sync is off (ldap_sync.enabled)")
        if in_safe_mode(runtime):
            raise click.ClickException("safe mode: no LDAP sync (ra-console safe-mode status)")
        result = ldap_sync.run(runtime, full=full, started_by=f"cli:{getpass.getuser()}")
    except IdmDirectoryUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        runtime.engine.dispose()
    click.echo(f"{'full comparison' if result.full else 'changed entries'}: "
               f"{result.read} entries read, {result.created} persons created, "
               f"{result.changed} changed, {result.unchanged} unchanged, "
               f"{result.removed} removed")
    for missing, count in sorted(result.refused.items()):
        click.echo(f"refused: {count} entries lack {missing} (RA admins alerted)", err=True)
    if result.held:
        click.echo(f"held: {result.held} persons gone from the directory wait for an RA "
                   "admin's confirmation (circuit breaker; console, Settings)", err=True)
    if result.failed:
        click.echo(f"failed: {result.failed} changes (see the log)", err=True)
    if result.refused or result.held or result.failed:
        sys.exit(1)


@main.command("p12")
@click.option("--request", "request_paths", required=True, multiple=True,
              type=click.Path(dir_okay=False),
              help="A request file (.json) saved when a key was made in the browser; repeat "
                   "it for older keys (a key ring that still reads old mail).")
@click.option("--cert", "cert_paths", required=True, multiple=True,
              type=click.Path(dir_okay=False),
              help="Certificates with their chain: PEM (one or many) or PKCS#7, as the portal "
                   "offers them; repeatable. Each key is matched to its certificate by the "
                   "public key.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="The PKCS#12 file to write.")
@click.option("--profile", default="compatible", show_default=True,
              type=click.Choice(["compatible", "modern"]),
              help="compatible: 3DES, SHA-1 MAC (imports everywhere); modern: AES-256, SHA-256.")
@click.option("--no-chain", is_flag=True, help="Put only the certificates into the file.")
@click.option("--same-password", is_flag=True,
              help="Use the (first) request file's password for the PKCS#12 file too.")
def p12(request_paths: tuple[str, ...], cert_paths: tuple[str, ...], out_path: str,
        profile: str, no_chain: bool, same_password: bool) -> None:
    """Build a .p12 from request files and the issued certificates, without a browser.

    With several --request files the .p12 holds every key with its certificate, the
    newest first, each named with its validity dates. Passwords come from RA_JSON_PASSWORD
    (the same for every file) and RA_P12_PASSWORD, else they are asked for per file.
    """
    keys, passwords, current = [], [], None
    try:
        for path in request_paths:
            current = path
            request_file = rf.read_request_file(Path(path).read_bytes())
            password = os.environ.get("RA_JSON_PASSWORD") or click.prompt(
                f"Password of the request file {path}", hide_input=True)
            keys.append((path, rf.decrypt_private_key(request_file, password)))
            passwords.append(password)
        current = None
        certs = []
        for path in cert_paths:
            certs += keyring.load_certificates(Path(path).read_bytes())
        pairs, cas = keyring.match(keys, certs)
        p12_password = passwords[0] if same_password else (
            os.environ.get("RA_P12_PASSWORD") or click.prompt(
                "Password for the PKCS#12 file", hide_input=True, confirmation_prompt=True))
        cas = [] if no_chain else cas
        if len(pairs) == 1:  # one key: the file and name as before
            data = rf.build_pkcs12(pairs[0].key, pairs[0].cert, cas, p12_password, profile)
        else:
            data = keyring.build_ring(pairs, cas, p12_password, profile)
    except OSError as exc:
        raise click.ClickException(f"{exc.filename}: {exc.strerror}") from None
    except rf.RequestFileError as exc:
        raise click.ClickException(f"{current}: {exc}" if current else str(exc)) from None
    descriptor = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file existed: it holds a private key
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    chain = "certificates only" if no_chain else f"with {len(cas)} CA certificates"
    if len(pairs) == 1:
        click.echo(f"{out_path}: {profile} PKCS#12 for {rf.friendly_name(pairs[0].cert)} "
                   f"({chain})")
        return
    click.echo(f"{out_path}: {profile} PKCS#12 key ring with {len(pairs)} keys ({chain}):")
    for pair in pairs:
        click.echo(f"  {keyring.dated_name(pair.cert)}  from {pair.source}")


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--instance", default="instance", show_default=True,
              type=click.Path(file_okay=False))
def demo(host: str, port: int, instance: str) -> None:
    """Create a demo instance (SQLite, local CA, demo people) and serve it."""
    run_demo(host=host, port=port, instance=Path(instance))


main.add_command(safe_mode_group)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
