"""Locust users of the peak day (started by bench/peak; never run from pytest).

People do the whole journey once: sign in (the proxy's headers), open the request page,
upload a pre-generated CSR, send it, poll until issued, download the chain (PKCS#7). Network
contacts search the console; an RA admin watches the dashboard. Settings come from the
environment that bench/peak sets (PEAK_*).

Besides the pages, Locust's statistics get two rows of their own (request type JOURNEY):
"send → issued", the time from the send response to the first poll that shows the
certificate, and "whole journey". A journey that cannot finish is a failure of "whole
journey"; at the end the counts go to PEAK_JOURNEYS (JSON).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

import gevent
from locust import HttpUser, between, events, task
from locust.runners import STATE_CLEANUP, STATE_STOPPED, STATE_STOPPING

CSRS = json.loads(open(os.environ["PEAK_CSRS"]).read()) if os.environ.get("PEAK_CSRS") else []
PEOPLE = int(os.environ.get("PEAK_PEOPLE", "0"))
SECRET = os.environ.get("PEAK_PROXY_SECRET", "")
DOMAIN = os.environ.get("PEAK_DOMAIN", "uni.example.org")
POLL_SECONDS = float(os.environ.get("PEAK_POLL_SECONDS", "2"))
ISSUE_TIMEOUT = float(os.environ.get("PEAK_ISSUE_TIMEOUT", "180"))
THINK = (float(os.environ.get("PEAK_THINK_MIN", "1")), float(os.environ.get("PEAK_THINK_MAX", "4")))
GIVEN = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas", "Lena",
         "Lukas", "Marie", "Noah", "Paul", "Sophie", "Tim", "Ida", "Elias", "Mia", "Finn"]
SURNAME = ["Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Braun"]

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                  r'|name="csrf_token" value="([^"]+)"')
MAILBOX = re.compile(r'name="mailbox" value="([^"]+)" data-address="([^"]+)"')
_numbers = itertools.count()
journeys = {"started": 0, "completed": 0, "failed": 0, "failures": {}}


def person(n: int) -> dict:
    """Name and IdM address of simulated person n (the same in every run)."""
    given, surname = GIVEN[n % len(GIVEN)], SURNAME[(n // len(GIVEN)) % len(SURNAME)]
    username = f"peak.{n:05d}"
    return {"username": username, "given": given, "surname": surname,
            "email": f"{given.lower()}.{surname.lower()}.{n}@{DOMAIN}"}


def identity_headers(username: str, given: str, surname: str, email: str,
                     affiliation: str = "student;member", entitlement: str = "",
                     client: str = "10.0.0.1") -> dict[str, str]:
    """What the SSO proxy (deploy/apache) sends: the attributes, its secret, X-Forwarded-For
    (auth.proxy_hops = 1, so each person has their own address, as behind the proxy)."""
    headers = {"X-Remote-User": username, "X-Remote-Given-Name": given,
               "X-Remote-Surname": surname, "X-Remote-Email": email,
               "X-Remote-Affiliation": affiliation, "X-Forwarded-For": client}
    if entitlement:
        headers["X-Remote-Entitlement"] = entitlement
    if SECRET:
        headers["X-RA-Proxy-Secret"] = SECRET
    return headers


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise JourneyError("no CSRF token on the page")
    return match.group(1) or match.group(2)


class JourneyError(Exception):
    pass


def record(environment, name: str, started: float, error: Exception | None = None,
           millis: float | None = None) -> None:
    environment.events.request.fire(
        request_type="JOURNEY", name=name, response_length=0, exception=error, context={},
        response_time=millis if millis is not None else (time.monotonic() - started) * 1000)


class Person(HttpUser):
    """One person of the first week of semester: one journey, then gone (idle)."""

    weight = 1
    wait_time = between(3600, 3600)  # after the journey: nothing more to do

    def on_start(self):
        self.n = next(_numbers)
        self.me = person(self.n)
        ip = f"10.{(self.n >> 16) & 255}.{(self.n >> 8) & 255}.{self.n & 255 or 1}"
        self.client.headers.update(identity_headers(
            self.me["username"], self.me["given"], self.me["surname"], self.me["email"],
            client=ip))
        self.done = False

    def think(self):
        gevent.sleep(random.uniform(*THINK))

    def expect(self, response, *codes: int):
        if response.status_code not in codes:
            raise JourneyError(f"{response.request.method} {response.request.path_url}: "
                               f"HTTP {response.status_code}")
        return response

    @task
    def journey(self):
        if self.done:
            return
        self.done = True
        journeys["started"] += 1
        started = time.monotonic()
        try:
            self.walk()
        except JourneyError as exc:
            journeys["failed"] += 1
            journeys["failures"][str(exc)[:120]] = journeys["failures"].get(str(exc)[:120], 0) + 1
            record(self.environment, "whole journey", started, exc)
        else:
            journeys["completed"] += 1
            record(self.environment, "whole journey", started)
            maybe_finish(self.environment)

    def walk(self):
        c = self.client
        self.expect(c.get("/certificates", name="home (sign-in)"), 200)
        self.think()
        page = self.expect(c.get("/certificates/new", name="request page"), 200).text
        mailbox = next((m for m, address in MAILBOX.findall(page)
                        if address == self.me["email"]), None)
        if mailbox is None:  # the IdM address came with the headers, or it did not
            raise JourneyError("IdM address missing on the request page")
        self.think()
        csr = CSRS[self.n % len(CSRS)]
        form = {"csrf_token": csrf_of(page), "mailbox": mailbox,
                "consent_name_and_mailbox": "y", "consent_data_processing": "y",
                "consent_directory_publication": "y"}
        made = self.expect(c.post("/certificates/new", data=form, name="upload CSR",
                                  files={"csr_file": ("request.csr", csr, "application/pkcs10")},
                                  allow_redirects=False), 302)
        show = made.headers["Location"]
        public_id = show.rstrip("/").rsplit("/", 1)[1]
        self.expect(c.get(show, name="request view"), 200)
        self.think()
        confirm = self.expect(c.get(f"/certificates/{public_id}/submit",
                                    name="send (confirmation page)"), 200).text
        self.think()
        self.expect(c.post(f"/certificates/{public_id}/submit", name="send",
                           data={"csrf_token": csrf_of(confirm)}, allow_redirects=False), 302)
        sent = time.monotonic()
        while True:
            gevent.sleep(POLL_SECONDS)
            view = self.expect(c.get(show, name="poll (request view)"), 200).text
            if 'id="downloads"' in view:
                record(self.environment, "send → issued", sent)
                break
            if time.monotonic() - sent > ISSUE_TIMEOUT:
                raise JourneyError(f"not issued within {ISSUE_TIMEOUT:.0f} s")
        self.think()
        chain = self.expect(c.get(f"/certificates/{public_id}/download/p7b-der",
                                  name="download chain (PKCS#7)"), 200)
        if not chain.content.startswith(b"\x30"):
            raise JourneyError("the PKCS#7 download is not DER")


class NetworkContact(HttpUser):
    """A network contact (role via the SSO entitlement) searching the console."""

    fixed_count = int(os.environ.get("PEAK_CONTACTS", "0"))
    wait_time = between(3, 8)

    def on_start(self):
        n = next(_numbers)
        self.client.headers.update(identity_headers(
            f"peak.nk{n}", "Nora", "Kontakt", f"nora.kontakt.{n}@{DOMAIN}",
            affiliation="employee", entitlement="peak-network-contact", client="10.255.0.2"))

    @task
    def search(self):
        who = person(random.randrange(max(PEOPLE, 1)))
        term = random.choice([f"{who['given']} {who['surname']}", "^" + who["email"][:12]])
        with self.client.get("/console/certificates/", params={"search": term},
                             name="console search (network contact)",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class RaAdmin(HttpUser):
    """The RA admin keeping an eye on the dashboard."""

    fixed_count = int(os.environ.get("PEAK_ADMINS", "0"))
    wait_time = between(4, 6)

    def on_start(self):
        self.client.headers.update(identity_headers(
            "peak.admin", "Rita", "Admin", f"rita.admin@{DOMAIN}", affiliation="employee",
            entitlement="peak-ra-admin", client="10.255.0.1"))

    @task
    def dashboard(self):
        with self.client.get("/console/", name="console dashboard (RA admin)",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


def maybe_finish(environment) -> None:
    """Every person has finished: stop now instead of waiting for --run-time."""
    if PEOPLE and journeys["completed"] + journeys["failed"] >= PEOPLE:
        gevent.spawn_later(1, environment.runner.quit)


@events.init.add_listener
def on_init(environment, **kwargs):
    def watch_failed():  # failed journeys also count towards "every person has finished"
        while environment.runner.state not in (STATE_STOPPING, STATE_STOPPED, STATE_CLEANUP):
            gevent.sleep(2)
            if PEOPLE and journeys["failed"] and \
                    journeys["completed"] + journeys["failed"] >= PEOPLE:
                environment.runner.quit()
                return
    if environment.runner is not None:
        gevent.spawn(watch_failed)


@events.quitting.add_listener
def on_quitting(environment, **kwargs):
    if os.environ.get("PEAK_JOURNEYS"):
        with open(os.environ["PEAK_JOURNEYS"], "w") as f:
            json.dump({**journeys, "people": PEOPLE,
                       "unfinished": max(PEOPLE, journeys["started"])
                       - journeys["completed"] - journeys["failed"]}, f, indent=2)
