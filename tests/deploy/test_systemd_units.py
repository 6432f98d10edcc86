"""The systemd units of deploy/ name commands and options the installed tools accept."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from proxies import DEPLOY

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
    env = {"PATH": "/usr/bin:/bin", "RA_INSTANCE_PATH": str(tmp_path), "RA_SECRET_KEY": "x"}
    checked = subprocess.run([argv[0], "--check-config", *argv[1:]], env=env,
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr


def test_jobs_unit_runs_the_job_runner():
    argv = exec_start("ra-console-jobs.service")
    assert argv[1:] == ["jobs", "run"] and Path(argv[0]).exists()
