"""What bench/run and bench/peak share: ports, the machine, gunicorn as deployed, /proc."""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# docs/deployment.md (deploy/systemd/ra-console-web.service) starts gunicorn with these
DEPLOY_FLAGS = ["--no-control-socket", "--access-logfile", "-"]
TICKS = os.sysconf("SC_CLK_TCK")  # /proc's CPU times are in these


def log(message: str, tag: str = "bench") -> None:
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict:
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024
    cpu = platform.processor()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_mib": mem,
            "python": platform.python_version(), "kernel": platform.release()}


class Server:
    """gunicorn serving ra_console.wsgi:app on loopback, as the systemd unit does."""

    def __init__(self, env, workers: int, port: int, extra: list[str] | None = None,
                 deploy_flags: bool = False):
        self.port = port
        self.log = open(tempfile.gettempdir() + f"/bench-gunicorn-{port}.log", "w")
        flags = DEPLOY_FLAGS if deploy_flags else ["--access-logfile", "-"]
        cmd = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), *flags, *(extra or []), "ra_console.wsgi:app"]
        self.command = " ".join(cmd[1:])
        self.process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                time.sleep(1.0)  # let every worker finish booting
                return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"gunicorn exited; see {self.log.name}") from None
                time.sleep(0.3)
        raise SystemExit("gunicorn did not start")

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        stop_group(self.process)
        self.log.close()


def stop_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the process group started with start_new_session, SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of one process in clock ticks (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name may hold spaces and brackets
    return int(fields[11]) + int(fields[12])


def postgres_pids(database: str | None = None) -> list[int]:
    """The PostgreSQL server's processes (with a database name: only its backends)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres") and (database is None
                                                  or f" {database} " in title + " "):
                found.append(int(entry))
    return found


def ticks_of(pids) -> int:
    return sum(cpu_ticks(pid) or 0 for pid in pids)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)
