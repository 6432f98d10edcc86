"""Browser end-to-end tests: Debian's headless Chromium driven by Playwright against the real
app, served on a free localhost port (a secure context, so WebCrypto works), on PostgreSQL
only, with the job sweeps run between steps. Under CI a missing Chromium, PostgreSQL,
openssl or pk12util fails the tests instead of skipping them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from support import missing

from ra_console.models import Certificate

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(name)
    return path


@pytest.fixture
def db_url(postgresql_url):
    """PostgreSQL only (the suite's other tests cover SQLite)."""
    return postgresql_url


@pytest.fixture
def live_server(app):
    """The app on a free port of 127.0.0.1, in a thread, for as long as the test runs."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="session")
def axe():
    """axe(page) -> the WCAG 2.1 A/AA violations axe-core finds on the page (its context
    needs bypass_csp=True: the injected script is the only thing that bypasses the CSP)."""
    if not AXE.exists():
        missing(f"axe-core at {AXE} (run scripts/build-js)")
    source = AXE.read_text()

    def violations(page) -> list[str]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=source)
        return page.evaluate("""async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
        }""", WCAG)
    return violations


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Sent:
    """One request the page sent: everything that left the browser."""

    method: str
    url: str
    headers: dict
    body: bytes


@dataclass
class Portal:
    """A signed-in user's browser tab with helpers for the guide's steps 5–9."""

    page: object
    base: str
    folder: Path
    sent: list[Sent] = field(default_factory=list)

    def login(self, username: str = "erika") -> None:
        self.page.goto(f"{self.base}/login")
        self.page.get_by_role("button", name=re.compile(f"{username}$")).click()
        self.page.wait_for_url(re.compile(r"/certificates"))

    def open_request_page(self) -> None:
        self.page.goto(f"{self.base}/certificates/new")

    def fill_request(self, password: str, *, algorithm: str = "RSA-2048",
                     repeat: str | None = None, consents: bool = True) -> None:
        page = self.page
        if consents:
            for name in ("consent_name_and_mailbox", "consent_data_processing",
                         "consent_directory_publication"):
                page.check(f"input[name={name}]")
        page.select_option("#key-algorithm", algorithm)
        page.fill("#json-password", password)
        page.fill("#json-password-repeat", password if repeat is None else repeat)

    def generate(self, timeout: float = 120_000) -> tuple[str, Path]:
        """Click the one button; return (public id, saved request file)."""
        with self.page.expect_download(timeout=timeout) as download:
            self.page.click("#generate")
        path = self.folder / download.value.suggested_filename
        download.value.save_as(path)
        self.page.wait_for_selector("#browser-done:not([hidden])")
        return json.loads(path.read_text())["request_id"], path

    def status_text(self, selector: str) -> str:
        self.page.wait_for_function(
            "s => { const el = document.querySelector(s); return el && !el.hidden && "
            "!el.classList.contains('busy') && el.textContent.trim(); }", arg=selector)
        return self.page.inner_text(selector)

    def build_p12(self, request_file: Path, json_password: str, p12_password: str | None, *,
                  profile: str = "compatible", chain: bool = True) -> Path:
        """Fill the PKCS#12 form on the certificate page; return the saved .p12."""
        self.fill_p12(request_file, json_password, p12_password, profile=profile, chain=chain)
        with self.page.expect_download() as download:
            self.page.click("#build-p12")
        path = self.folder / f"{profile}-{'chain' if chain else 'leaf'}.p12"
        download.value.save_as(path)
        return path

    def fill_p12(self, request_file: Path | None, json_password: str, p12_password: str | None,
                 *, profile: str = "compatible", chain: bool = True) -> None:
        page = self.page
        if request_file is not None:
            page.set_input_files("#request-file", str(request_file))
        page.fill("#json-password", json_password)
        if p12_password is None:
            page.check("#same-password")
        else:
            page.uncheck("#same-password")
            page.fill("#p12-password", p12_password)
        page.check(f"input[name=p12-profile][value={profile}]")
        page.check(f"input[name=p12-chain][value={'chain' if chain else 'leaf'}]")


@pytest.fixture
def make_portal(chromium, live_server, tmp_path):
    """make_portal(**context_options) -> Portal: a fresh browser context and tab that
    records every request it sends."""
    contexts = []

    def make(**options) -> Portal:
        context = chromium.new_context(accept_downloads=True, **{"locale": "en-US", **options})
        contexts.append(context)
        page = context.new_page()
        portal = Portal(page=page, base=live_server, folder=tmp_path / f"downloads{len(contexts)}")
        portal.folder.mkdir()

        def record(request) -> None:
            portal.sent.append(Sent(request.method, request.url, dict(request.headers),
                                    request.post_data_buffer or b""))
        page.on("request", record)
        return portal
    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def portal(make_portal) -> Portal:
    return make_portal()


@pytest.fixture
def issued_with_key(issue_directly, new_csr, runtime):
    """issued_with_key(kind) -> (certificate, key): an issued certificate of erika for a
    fresh "rsa" or "ec" (P-256) key, for revocation by proof of key possession."""
    def issue(kind: str):
        key, csr_pem = new_csr(curve=ec.SECP256R1()) if kind == "ec" else new_csr()
        cert_id = issue_directly(csr=csr_pem)
        with runtime.session() as s:
            return s.get(Certificate, cert_id), key
    return issue


@pytest.fixture
def revoke_page(portal):
    """The page for revocation without an account (/pki/revoke), opened in the portal's
    tab."""
    portal.page.goto(f"{portal.base}/pki/revoke")
    return portal.page


@pytest.fixture(scope="session")
def openssl() -> str:
    return tool("openssl")


@pytest.fixture(scope="session")
def pk12util() -> str:
    tool("certutil")
    return tool("pk12util")


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, check=False, **kwargs)


@pytest.fixture(scope="session")
def sh():
    """subprocess.run with captured output (fixtures work in every import mode)."""
    return run
