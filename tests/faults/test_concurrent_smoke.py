"""The concurrent smoke: two app processes (gunicorn on loopback ports) and two job
runners on one PostgreSQL; several people sign in for the first time on both servers at
once, upload CSRs, and press "send" on both servers at the same moment. No server error,
and every request is issued exactly once."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from proxies import free_port
from runner_support import EXE, outbox_settled, runner_env, start_runner, wait_for
from sqlmodel import select

from ra_console.models import AuditEvent, Certificate, Institute, InstituteDomain, OutboxMessage
from ra_console.usecases.demo_people import DEMO_INSTITUTES

# six employees with an IdM address (the demo's other people need an identity check first)
PEOPLE = ["erika", "nk-itc", "nk-phys", "idv", "admin", "auditor"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAILBOX = re.compile(r'name="mailbox" value="([^"]+)"')
GUNICORN = EXE.with_name("gunicorn")


def start_app(env: dict, port: int) -> subprocess.Popen:
    log = Path(env["RA_INSTANCE_PATH"]) / f"web-{port}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--no-control-socket", "ra_console.wsgi:app"],
            env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz/live", timeout=10).ok:
                return process
        except requests.RequestException:  # not listening, or its workers still booting
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"gunicorn on {port} did not start: {log.read_text()[-2000:]}")


class Person:
    """One person's browser: a cookie jar shared by both servers, every status recorded."""

    def __init__(self, username: str, ports: list[int], statuses: list):
        self.username, self.ports, self.statuses = username, ports, statuses
        self.http = requests.Session()

    def call(self, method: str, port: int, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, f"http://127.0.0.1:{port}{path}",
                                     allow_redirects=False, timeout=180,
                                     headers={"Accept-Language": "en"}, **kwargs)
        self.statuses.append((self.username, method, path, response.status_code))
        return response

    def token(self, port: int, path: str) -> str:
        return CSRF.search(self.call("GET", port, path).text).group(1)


def on_both_at_once(person: Person, path: str, data: dict) -> None:
    """POST the form at `path` to both servers at the same moment (each with its token)."""
    tokens = [person.token(port, path if path != "/login/dev" else "/login")
              for port in person.ports]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda port, token: person.call(
            "POST", port, path, data={"csrf_token": token, **data}), person.ports, tokens))


def person_flow(person: Person, csr_pem: bytes, barrier: threading.Barrier) -> str:
    try:
        return _flow(person, csr_pem, barrier)
    except Exception:
        barrier.abort()  # the others stop waiting; this error is the one to see
        raise


def _flow(person: Person, csr_pem: bytes, barrier: threading.Barrier) -> str:
    first, second = person.ports
    barrier.wait(300)  # everybody's first sign-in, on both servers at once
    on_both_at_once(person, "/login/dev", {"username": person.username})
    page = person.call("GET", first, "/certificates/new").text
    created = person.call("POST", second, "/certificates/new", data={
        "csrf_token": CSRF.search(page).group(1), "mailbox": MAILBOX.search(page).group(1),
        "consent_name_and_mailbox": "y", "consent_data_processing": "y",
        "consent_directory_publication": "y"}, files={"csr_file": ("r.csr", csr_pem)})
    assert created.status_code == 302, created.text[:500]
    public_id = created.headers["Location"].rsplit("/", 1)[-1]
    barrier.wait(300)  # a double-clicked "send", on both servers at the same moment
    on_both_at_once(person, f"/certificates/{public_id}/submit", {})
    return public_id


def _institutes_only(runtime) -> None:
    """The demo's institutes and domains, nobody signed in yet."""
    with runtime.session() as s:
        for code, name_de, name_en, domains in DEMO_INSTITUTES:
            institute = Institute(code=code, name_de=name_de, name_en=name_en)
            s.add(institute)
            s.flush()
            s.add_all(InstituteDomain(institute_id=institute.id, domain=d) for d in domains)
        s.commit()


def test_two_apps_two_runners_many_people(runtime, smtp, new_csr):
    _institutes_only(runtime)
    env = {**runner_env(runtime, smtp.port), "RA_DEMO": "true", "RA_AUTH_MODE": "dev",
           "RA_LIMITS_SIGN_IN": "", "RA_JOBS_BATCH_SIZE": "2"}
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen] = []
    statuses: list = []
    try:
        processes += [start_app(env, port) for port in ports]
        processes += [start_runner(env), start_runner(env)]
        people = [Person(name, ports if i % 2 else ports[::-1], statuses)
                  for i, name in enumerate(PEOPLE)]
        csrs = [new_csr()[1] for _ in people]
        barrier = threading.Barrier(len(people))
        with ThreadPoolExecutor(len(people)) as pool:
            flows = [pool.submit(person_flow, p, c, barrier) for p, c in zip(people, csrs,
                                                                           strict=True)]
        failures = [f.exception() for f in flows if f.exception() is not None]
        causes = [e for e in failures if not isinstance(e, threading.BrokenBarrierError)]
        if failures:
            raise (causes or failures)[0]
        ids = [f.result() for f in flows]
        wait_for(lambda: outbox_settled(runtime) and _issued(runtime) == len(ids), 300)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)
    errors = [s for s in statuses if s[3] >= 500]
    assert errors == [] and len(statuses) >= 10 * len(PEOPLE)
    logs = "".join(p.read_text() for p in Path(env["RA_INSTANCE_PATH"]).glob("*.log"))
    assert "Traceback" not in logs
    with runtime.session() as s:
        for public_id in ids:
            cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
            assert cert.status == "issued"
            triggers = [e.trigger for e in s.exec(select(AuditEvent).where(
                AuditEvent.entity_id == public_id))]
            assert triggers.count("submit") == 1 and triggers.count("issue") == 1
            submits = s.exec(select(OutboxMessage).where(
                OutboxMessage.kind == "ca.submit",
                OutboxMessage.dedupe_key.contains(public_id))).all()
            assert len(submits) == 1


def _issued(runtime) -> int:
    with runtime.session() as s:
        return len(s.exec(select(Certificate).where(Certificate.status == "issued")).all())
