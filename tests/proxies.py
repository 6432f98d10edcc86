"""Real Apache and nginx in front of a backend, with the configuration files of deploy/
(tests/deploy/).

Each server runs as an unprivileged process (as `nobody` when the tests run as root) on a
free loopback port, with its own config, pid and log files in a temporary folder. Only
the site-specific values (ports, networks, secret, the SSO) are the test's: the included
files are deploy/'s, unchanged."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from support import missing
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
HERE = ROOT / "tests" / "deploy"  # the SSO stand-in
APACHE, NGINX = Path("/usr/sbin/apache2"), Path("/usr/sbin/nginx")
APACHE_MODULES = Path("/usr/lib/apache2/modules")
# The identity the SSO stand-ins assert (no entitlement: the IdP releases none).
IDENTITY = {"X-Remote-User": "jdoe@uni.example.org", "X-Remote-Given-Name": "Jane",
            "X-Remote-Surname": "Doe", "X-Remote-Email": "jane.doe@uni.example.org",
            "X-Remote-Affiliation": "employee@uni.example.org"}
# Clients on loopback: ALLOWED is inside the proxy's allowed networks, OUTSIDE is not.
ALLOWED, OUTSIDE = "127.0.0.2", "127.0.0.3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"server did not listen on {port}")


def request(port: int, path: str, headers: dict | None = None, source: str = ALLOWED,
            method: str = "GET", body: bytes | None = None):
    """(status, headers, body) of one request from the loopback address `source`."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class _Echo(BaseHTTPRequestHandler):
    """A backend that answers with the request headers exactly as they arrived (raw, so a
    header with underscores is seen too)."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        body = json.dumps(list(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _SsoAuthorizer(BaseHTTPRequestHandler):
    """Stand-in for an SSO authorizer (nginx auth_request): a session for everyone, with
    the fixed test identity."""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        for name, value in IDENTITY.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class HTTPThread:
    """A loopback HTTP server in a thread: an http.server handler or a WSGI app."""

    def __init__(self, handler=None, wsgi_app=None):
        self.port = free_port()
        if wsgi_app is not None:
            self.server = make_server("127.0.0.1", self.port, wsgi_app, threaded=True)
        else:
            self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def echo_backend() -> HTTPThread:
    return HTTPThread(handler=_Echo)


def sso_authorizer() -> HTTPThread:
    return HTTPThread(handler=_SsoAuthorizer)


class Proxy:
    """One running proxy server; `port` is where clients connect."""

    binary: Path
    name: str

    def __init__(self, backend: int, secret: str, networks: list[str]):
        if not self.binary.exists():
            missing(f"{self.name} ({self.binary}; Debian package {self.name})")
        self.folder, self.port = _private_folder(self.name), free_port()
        self.sso = None
        self.log = self.folder / "error.log"
        command = self.write_config(backend, secret, networks)
        self.process = subprocess.Popen(_unprivileged(command), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, self.log)

    def write_config(self, backend: int, secret: str, networks: list[str]) -> list[str]:
        raise NotImplementedError

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.sso is not None:
            self.sso.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _private_folder(name: str) -> Path:
    """A folder the server's own user may write (pid, logs, temp files)."""
    folder = Path(tempfile.mkdtemp(prefix=f"ra-{name}-"))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    return folder


def _unprivileged(command: list[str]) -> list[str]:
    """Root drops to nobody before the server starts: no part of it runs privileged."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
            *command]


class Apache(Proxy):
    binary, name = APACHE, "apache2"
    MODULES = ("mpm_event", "authn_core", "authz_core", "authz_host", "headers", "env",
               "proxy", "proxy_http")

    def write_config(self, backend, secret, networks):
        lines = [f"ServerRoot {self.folder}", "ServerName 127.0.0.1",
                 f"Listen 127.0.0.1:{self.port}", f"PidFile {self.folder}/apache.pid",
                 f"ErrorLog {self.log}", "LogLevel warn"]
        lines += [f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in self.MODULES]
        lines += [
            f"Define RA_DEPLOY {DEPLOY / 'apache'}",
            f"Define RA_BACKEND http://127.0.0.1:{backend}",
            f'Define RA_NETWORKS "{" ".join(networks)}"',
            f"Define RA_SSO {HERE / 'sso-standin.conf'}",
            'Define RA_SSO_REQUIRE "all granted"',
            f'Define RA_PROXY_SECRET "{secret}"',
            f"<VirtualHost 127.0.0.1:{self.port}>",
            "    Include ${RA_DEPLOY}/portal.conf",
            "</VirtualHost>",
        ]
        conf = self.folder / "httpd.conf"
        conf.write_text("\n".join(lines) + "\n")
        return [str(self.binary), "-f", str(conf), "-DFOREGROUND"]


class Nginx(Proxy):
    binary, name = NGINX, "nginx"

    def write_config(self, backend, secret, networks):
        self.sso = sso_authorizer()
        (self.folder / "ra-console").symlink_to(DEPLOY / "nginx")
        geo = "".join(f"        {network} 1;\n" for network in networks)
        temp = "".join(f"    {kind}_temp_path {self.folder / kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = self.folder / "nginx.conf"
        conf.write_text(
            f"worker_processes 1;\npid {self.folder}/nginx.pid;\n"
            f"error_log {self.log} warn;\nevents {{}}\nhttp {{\n"
            f"    access_log {self.folder}/access.log;\n{temp}"
            f"    upstream ra_console {{ server 127.0.0.1:{backend}; }}\n"
            f"    upstream ra_sso {{ server 127.0.0.1:{self.sso.port}; }}\n"
            f"    geo $ra_allowed {{\n        default 0;\n{geo}    }}\n"
            f'    map "" $ra_proxy_secret {{ default "{secret}"; }}\n'
            f"    server {{\n        listen 127.0.0.1:{self.port};\n"
            "        include ra-console/portal.conf;\n"
            "        location @ra_sso_sign_in { return 401; }\n    }\n}\n")
        return [str(self.binary), "-p", str(self.folder), "-c", str(conf),
                "-g", "daemon off;"]


PROXIES = {"apache": Apache, "nginx": Nginx}


def start_proxy(kind: str, backend: int, secret: str, networks: list[str] | None = None
                ) -> Proxy:
    return PROXIES[kind](backend, secret, networks or ["127.0.0.1", ALLOWED])
