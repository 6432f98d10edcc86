"""The systemd units of deploy/ name commands and options the installed tools accept, and
the web unit's gunicorn writes its access log as JSON lines with the app's request id."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import requests
from proxies import DEPLOY
from support import free_port

BIN = Path(sys.executable).parent


def exec_start(unit: str) -> list[str]:
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(line.removeprefix("ExecStart="))
    assert argv[0].startswith("/opt/ra-console/.venv/bin/")
    return [str(BIN / Path(argv[0]).name), *argv[1:]]


def test_web_unit_starts_gunicorn_with_options_it_knows(tmp_path):
    argv = exec_start("ra-console-web.service")
    assert "127.0.0.1:8000" in argv and "--no-control-socket" in argv
    assert "ra_console.core.access_log.JsonAccessLogger" in argv
    env = {"PATH": "/usr/bin:/bin", "RA_INSTANCE_PATH": str(tmp_path), "RA_SECRET_KEY": "x"}
    checked = subprocess.run([argv[0], "--check-config", *argv[1:]], env=env,
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr


def test_jobs_unit_runs_the_job_runner():
    argv = exec_start("ra-console-jobs.service")
    assert argv[1:] == ["jobs", "run"] and Path(argv[0]).exists()


def _started(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz/live", timeout=10).ok:
                return
        except requests.RequestException:  # not listening yet
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def test_web_unit_writes_json_access_lines_with_the_request_id(tmp_path):
    argv = exec_start("ra-console-web.service")
    port = free_port()
    argv = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in argv]
    argv[argv.index("--workers") + 1] = "1"
    env = {"PATH": "/usr/bin:/bin", "RA_INSTANCE_PATH": str(tmp_path), "RA_SECRET_KEY": "x",
           "RA_DATABASE_URL": f"sqlite:///{tmp_path / 'ra.sqlite'}"}
    subprocess.run([str(BIN / "ra-console"), "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=120)
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    with access.open("wb") as out, errors.open("wb") as err:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
    try:
        _started(process, port, errors)
        answer = requests.get(f"http://127.0.0.1:{port}/healthz/ready",
                              params={"who": "jane.doe@uni.example.org"},
                              headers={"User-Agent": "probe/1"}, timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=60)
    lines = [json.loads(line) for line in access.read_text().splitlines()]  # every one JSON
    [entry] = [line for line in lines if line["path"] == "/healthz/ready"]
    assert {"asctime", "level", "name", "message", "request_id", "remote_addr", "method",
            "status", "bytes", "duration_ms", "user_agent", "query"} <= set(entry)
    assert entry["request_id"] == answer.headers["X-Request-ID"] != "-"
    assert entry["status"] == answer.status_code and entry["method"] == "GET"
    assert entry["remote_addr"] == "127.0.0.1" and entry["user_agent"] == "probe/1"
    assert "<address>" in entry["query"]  # sent percent-encoded (jane.doe%40uni…)
    assert "jane.doe" not in access.read_text()
