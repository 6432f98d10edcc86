"""PostgreSQL restarted while the web app and a job runner are busy: a private cluster,
started and restarted by the test (never the machine's shared server)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from runner_support import (
    COUNT,
    check_outcome,
    issued,
    make_requests,
    outbox_settled,
    runner_env,
    start_runner,
    wait_for,
)
from sqlalchemy import create_engine, text
from support import missing


def free_loopback_port() -> int:
    """A free loopback port (for the private cluster)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class Cluster:
    def __init__(self, folder: Path, port: int, bin_dir: Path):
        self.folder, self.port, self.bin = folder, port, bin_dir

    def run(self, *args: str) -> None:
        result = subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / args[0]),
                                 *args[1:]], capture_output=True, timeout=60)
        assert result.returncode == 0, (args, result.stdout, result.stderr)

    def ctl(self, action: str) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-w", "-m", "fast", "-l",
                 str(self.folder / "log"), "-o",
                 f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", action)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster():
    bin_dir = _pg_bin()
    if bin_dir is None or shutil.which("runuser") is None or os.geteuid() != 0:
        missing("PostgreSQL server binaries and root (for this fault test)")
    # Outside pytest's private temp tree, which the postgres user cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="ra-test-pg-"))
    shutil.chown(folder, "postgres")
    cluster = Cluster(folder, free_loopback_port(), bin_dir)
    try:
        cluster.run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres")
        cluster.ctl("start")
        yield cluster
        cluster.ctl("stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def db_url(cluster):
    """The suite's fixtures (runtime, seeded, browser) on the private cluster."""
    engine = create_engine(cluster.url)
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()
    return cluster.url


def test_web_and_runner_survive_a_database_restart(cluster, seeded, browser, new_csr, smtp):
    inbox, port = smtp, smtp.port
    make_requests(seeded, new_csr)
    browser.login("erika")
    runner = start_runner(runner_env(seeded, port))
    try:
        wait_for(lambda: issued(seeded) >= 2)
        cluster.ctl("restart")
        assert browser.get("/certificates").status_code == 200  # pool pre-ping reconnects
        wait_for(lambda: issued(seeded) == COUNT and outbox_settled(seeded))
    finally:
        runner.terminate()
        runner.wait(10)
    check_outcome(seeded, inbox)


def test_database_down_gives_a_clear_page(cluster, seeded, browser):
    browser.login("erika")
    cluster.ctl("stop")
    try:
        response = browser.get("/certificates")
        assert response.status_code == 503
        assert "database" in response.get_data(as_text=True).lower()
    finally:
        cluster.ctl("start")
    assert browser.get("/certificates").status_code == 200
