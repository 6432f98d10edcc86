"""The peak-day report: Locust's CSV files, the journey counts and the CPU samples of one run
(bench/peak writes them to bench/results/peak/) turned into Markdown and a chart.

Input files in the folder: peak_stats.csv, peak_stats_history.csv (--csv-full-history),
peak_failures.csv (Locust), journeys.json (bench/peak_locustfile.py), cpu.csv (bench/peak's
sampler: epoch, one column of CPU % per process group, machine, load1, backlog). Every one
but peak_stats.csv may be missing.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

JOURNEY = "JOURNEY"
SEND_TO_ISSUED = "send → issued"
WHOLE = "whole journey"
TARGET_SEND_TO_ISSUED_MS = 30_000
GROUPS = {"app": "app (gunicorn)", "database": "database (its backends)",
          "runners": "job runners", "locust": "Locust (load generator)", "mail": "SMTP sink"}
SATURATED = 0.9  # share of all CPUs busy from which the machine counts as saturated


@dataclass
class Report:
    markdown: str
    completed: int
    errors: int
    send_to_issued_p95: float | None


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _num(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # Locust writes N/A where nothing was measured


def _ms(value) -> str:
    number = _num(value)
    return "–" if number is None else f"{number:,.0f}"


def load(folder: Path) -> dict:
    stats = _rows(folder / "peak_stats.csv")
    journeys = folder / "journeys.json"
    return {
        "pages": [r for r in stats if r["Type"] not in (JOURNEY, "") and r["Name"] != "Aggregated"],
        "journey": {r["Name"]: r for r in stats if r["Type"] == JOURNEY},
        "history": [r for r in _rows(folder / "peak_stats_history.csv")
                    if r["Name"] != "Aggregated"],
        "failures": _rows(folder / "peak_failures.csv"),
        "journeys": json.loads(journeys.read_text()) if journeys.exists() else {},
        "cpu": [{k: _num(v) for k, v in r.items()} for r in _rows(folder / "cpu.csv")],
    }


def _users_at(history: list[dict], epoch: float) -> int:
    best = None
    for row in history:
        t = _num(row["Timestamp"])
        if t is not None and t <= epoch:
            best = row
    return int(_num(best["User Count"]) or 0) if best else 0


def _latency_knee(history: list[dict]) -> str | None:
    """When the pages' worst p95 (10-s window) first exceeds three times its early level."""
    worst: dict[float, float] = {}
    users: dict[float, int] = {}
    for r in history:
        t, p95 = _num(r["Timestamp"]), _num(r["95%"])
        if r["Type"] == JOURNEY or t is None or p95 is None:
            continue
        worst[t] = max(worst.get(t, 0), p95)
        users[t] = int(_num(r["User Count"]) or 0)
    ts = sorted(worst)
    if len(ts) < 8:
        return None
    early = sorted(worst[t] for t in ts[: len(ts) // 4])[len(ts) // 8]
    knee = next((t for t in ts[len(ts) // 4:] if worst[t] > 3 * max(early, 1)), None)
    if knee is None:
        return (f"Page latency did not climb with the users: the worst p95 stayed within "
                f"three times its early level ({early:,.0f} ms).")
    return (f"Page latency climbed at {users[knee]:,} simulated users: the worst page p95 "
            f"went from about {early:,.0f} ms to {worst[knee]:,.0f} ms "
            f"({knee - ts[0]:.0f} s into the run).")


def _cpu_section(data: dict, meta: dict, completed: int) -> tuple[list[str], list[str]]:
    cpu = data["cpu"]
    if not cpu:
        return [], ["No CPU samples were taken."]
    cpus = meta.get("machine", {}).get("cpus") or 1
    seconds = (cpu[-1]["epoch"] - cpu[0]["epoch"]) or 1
    lines = ["## CPU", "",
             f"Sampled every 2 s from /proc/<pid>/stat (utime + stime) of each group's processes "
             f"and from /proc/stat for the machine ({cpus} CPUs = {cpus * 100} %). The database "
             "is every backend of the run's own database; the server's shared background "
             "processes and other databases on the same server are not counted.", "",
             "| group | mean % | max % | CPU seconds | CPU ms per completed journey |",
             "|---|---:|---:|---:|---:|"]
    groups = [g for g in GROUPS if g in cpu[0]]
    for group in groups + ["machine"]:
        values = [r[group] or 0 for r in cpu]
        used = sum(values) / 100 * seconds / len(values)
        label = GROUPS.get(group, "whole machine (everyone's processes)")
        per = f"{used * 1000 / completed:,.0f}" if completed else "–"
        lines.append(f"| {label} | {sum(values) / len(values):.0f} | {max(values):.0f} | "
                     f"{used:,.0f} | {per} |")
    lines.append("")
    findings = []
    own = [sum(r[g] or 0 for g in groups) for r in cpu]
    others = [max((r["machine"] or 0) - o, 0) for r, o in zip(cpu, own, strict=True)]
    lines[-2:-2] = [f"| other processes on the machine (not this run) | "
                    f"{sum(others) / len(others):.0f} | {max(others):.0f} | "
                    f"{sum(others) / 100 * seconds / len(others):,.0f} | – |"]
    busy = next((i for i, r in enumerate(cpu)
                 if (r["machine"] or 0) >= SATURATED * cpus * 100), None)
    if busy is None:
        peak = max(r["machine"] or 0 for r in cpu)
        findings.append(f"The machine never saturated: at most {peak:.0f} % of "
                        f"{cpus * 100} % CPU was busy.")
    elif own[busy] < others[busy]:
        findings.append(
            f"The machine was saturated mostly by other processes "
            f"({others[busy]:.0f} % against this run's {own[busy]:.0f} % when it first hit "
            f"{SATURATED:.0%}; {sum(others) / len(others):.0f} % on average): the times "
            "here are what the RA gets on a busy shared machine, not its limit.")
    else:
        row = cpu[busy]
        shares = ", ".join(f"{GROUPS[g].split(' (')[0]} {row[g] or 0:.0f} %" for g in groups)
        top = max(groups, key=lambda g: row[g] or 0)
        findings.append(
            f"The machine was saturated (≥ {SATURATED:.0%} of all CPUs busy) "
            f"{row['epoch'] - cpu[0]['epoch']:.0f} s into the run, at "
            f"{_users_at(data['history'], row['epoch']):,} simulated users; at that moment: "
            f"{shares}. The largest consumer was the {GROUPS[top]}.")
    totals = {g: sum(r[g] or 0 for r in cpu) for g in groups if g not in ("locust", "mail")}
    if totals:
        top = max(totals, key=totals.get)
        findings.append(f"Over the whole run the {GROUPS[top]} used the most CPU of the RA's "
                        "own parts (app, database, runners).")
    backlog = [r["backlog"] for r in cpu if r.get("backlog") is not None and r["backlog"] >= 0]
    if backlog:
        findings.append(f"Outbox backlog of CA submissions: at most {max(backlog):.0f}, at the "
                        f"end {backlog[-1]:.0f} (a backlog that keeps growing means the runners "
                        "are the bottleneck).")
    knee = _latency_knee(data["history"])
    if knee:
        findings.append(knee)
    loads = [r["load1"] for r in cpu if r.get("load1") is not None]
    if loads:
        findings.append(f"Load average (1 min) during the run: up to {max(loads):.2f}.")
    return lines, findings


def build(folder: Path, meta: dict) -> Report:
    data = load(Path(folder))
    journey = data["journey"]
    whole = journey.get(WHOLE, {})
    completed = int(_num(whole.get("Request Count")) or 0) - int(
        _num(whole.get("Failure Count")) or 0)
    people = meta.get("users") or data["journeys"].get("people") or 0
    failed_requests = sum(int(_num(r["Failure Count"]) or 0) for r in data["pages"])
    total_requests = sum(int(_num(r["Request Count"]) or 0) for r in data["pages"])
    not_finished = max(people - completed, 0)
    errors = failed_requests + not_finished
    issued = journey.get(SEND_TO_ISSUED, {})
    p95 = _num(issued.get("95%"))
    m = meta.get("machine", {})
    kind = "quick check (--quick)" if meta.get("quick") else "full run"
    lines = [f"# RA Console peak day — {meta.get('when', '')} ({kind})", "",
             f"{people:,} simulated people ramped at {meta.get('spawn_rate', 0):.2f}/s "
             f"(all started after {people / max(meta.get('spawn_rate') or 1, 0.001):.0f} s), "
             f"{meta.get('contacts', 0)} network contacts searching the console, "
             f"{meta.get('admins', 0)} RA admin(s) on the dashboard. `{meta.get('gunicorn', '')}`"
             f", {meta.get('runners', 0)} × `ra-console jobs run` (local CA), PostgreSQL "
             f"database `{meta.get('database', '')}` created for the run, header sign-in with "
             "the proxy secret and a role map, mail to an SMTP sink. Machine: "
             f"{m.get('cpus', '?')} CPUs ({m.get('cpu', '?')}), {m.get('memory_mib', '?')} MiB, "
             f"shared with the load generator (Locust) and PostgreSQL. Load average before the "
             f"run {' / '.join(meta.get('load_before', []))}, after "
             f"{' / '.join(meta.get('load_after', []))}. Total time {meta.get('run_seconds', 0)} "
             "s.", "",
             "## Targets", "", "| target | measured | met |", "|---|---:|:---:|",
             f"| every journey completed | {completed:,} of {people:,} | "
             f"{'yes' if completed == people and people else '**no**'} |",
             f"| errors = 0 (failed requests + journeys not completed) | {errors:,} | "
             f"{'yes' if errors == 0 else '**no**'} |",
             f"| send → issued p95 ≤ {TARGET_SEND_TO_ISSUED_MS // 1000} s | "
             f"{'–' if p95 is None else f'{p95 / 1000:.1f} s'} | "
             f"{'yes' if p95 is not None and p95 <= TARGET_SEND_TO_ISSUED_MS else '**no**'} |", "",
             "## Journeys", "",
             "Each person: sign in (proxy headers) → request page → upload a CSR (EC P-256, made "
             "before the run) → request view → send (confirmation page, then send) → reload the "
             f"request every {meta.get('poll_seconds', 2):g} s until it is issued → download the "
             "chain (PKCS#7, DER). Send → issued is measured by the simulated person, from the "
             "send response to the first reload that shows the certificate (so it includes up "
             "to one reload interval).", "",
             "| | count | failed | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in (WHOLE, SEND_TO_ISSUED):
        r = journey.get(name)
        if r:
            lines.append(f"| {name} | {int(_num(r['Request Count']) or 0):,} | "
                         f"{int(_num(r['Failure Count']) or 0):,} | {_ms(r['50%'])} | "
                         f"{_ms(r['95%'])} | {_ms(r['99%'])} | {_ms(r['Max Response Time'])} |")
    unfinished = data["journeys"].get("unfinished")
    lines += ["", f"Journeys completed {completed:,}, failed "
              f"{int(_num(whole.get('Failure Count')) or 0):,}, never finished "
              f"{unfinished if unfinished is not None else not_finished:,}.", "",
              "## Pages", "",
              f"{total_requests:,} requests, {failed_requests:,} failed (any answer but 2xx/3xx, "
              "or no answer). Times in ms as Locust measures them (its percentiles are rounded "
              "to two significant digits).", "",
              "| page | method | requests | failed | p50 | p95 | p99 | max | req/s |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in data["pages"]:
        lines.append(f"| {r['Name']} | {r['Type']} | {int(_num(r['Request Count']) or 0):,} | "
                     f"{int(_num(r['Failure Count']) or 0):,} | {_ms(r['50%'])} | {_ms(r['95%'])}"
                     f" | {_ms(r['99%'])} | {_ms(r['Max Response Time'])} | "
                     f"{_num(r['Requests/s']) or 0:.1f} |")
    lines.append("")
    if data["failures"]:
        lines += ["## Failures", "", "| method | name | error | count |", "|---|---|---|---:|"]
        lines += [f"| {f['Method']} | {f['Name']} | {f['Error'][:200]} | {f['Occurrences']} |"
                  for f in data["failures"]]
        lines.append("")
    cpu_lines, findings = _cpu_section(data, meta, completed)
    lines += cpu_lines
    counts = meta.get("counts")
    if counts:
        findings.append(f"In the database afterwards: {counts.get('issued', 0):,} certificates "
                        f"issued, {counts.get('persons', 0):,} persons and "
                        f"{counts.get('idm_mailboxes', 0):,} IdM mailboxes (from the sign-in "
                        f"headers), {counts.get('mails_sent', 0):,} mails sent, "
                        f"{counts.get('outbox_pending', 0):,} outbox rows pending, "
                        f"{counts.get('outbox_dead', 0):,} dead.")
    lines += ["## Where it saturates", ""] + [f"- {f}" for f in findings] + [
        "", "![peak day](peak.png)", "",
        "Reproduce: `.venv/bin/python bench/peak` (2,000 people; `--quick` for 200). Raw "
        "files: `bench/results/peak/`."]
    return Report("\n".join(lines) + "\n", completed, errors, p95)


def chart(folder: Path, meta: dict, out: Path) -> bool:
    """Users and requests/s, page p95 over time, CPU per group with the outbox backlog."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (pip install -e '.[bench]'): no chart")
        return False
    data = load(Path(folder))
    history, cpu = data["history"], data["cpu"]
    start = min([_num(r["Timestamp"]) for r in history] + [r["epoch"] for r in cpu] or [0])
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    by_time: dict[float, tuple[float, float]] = {}
    for r in history:
        if r["Type"] == JOURNEY:
            continue
        t = _num(r["Timestamp"]) - start
        users, rps = by_time.get(t, (_num(r["User Count"]) or 0, 0.0))
        by_time[t] = (users, rps + (_num(r["Requests/s"]) or 0))
    ts = sorted(by_time)
    ax = axes[0]
    ax.plot(ts, [by_time[t][0] for t in ts], color="#08519c", label="users")
    ax.set_xlabel("s")
    ax.set_title("simulated users and requests/s")
    ax2 = ax.twinx()
    ax2.plot(ts, [by_time[t][1] for t in ts], color="#e6550d", label="req/s")
    ax.legend(loc="upper left")
    ax2.legend(loc="lower right")
    ax = axes[1]
    names = sorted({r["Name"] for r in history if r["Type"] != JOURNEY})
    for name in names:
        rows = [r for r in history if r["Name"] == name and _num(r["95%"]) is not None]
        ax.plot([_num(r["Timestamp"]) - start for r in rows], [_num(r["95%"]) for r in rows],
                label=name, linewidth=1)
    ax.set_yscale("log")
    ax.set_title("p95 per page (ms, last 10 s)")
    ax.set_xlabel("s")
    ax.legend(fontsize=6)
    ax = axes[2]
    if cpu:
        t = [r["epoch"] - start for r in cpu]
        groups = [g for g in GROUPS if g in cpu[0]]
        ax.stackplot(t, *[[r[g] or 0 for r in cpu] for g in groups],
                     labels=[GROUPS[g] for g in groups])
        ax.plot(t, [r["machine"] or 0 for r in cpu], color="black", linewidth=1,
                label="whole machine")
        ax.set_title("CPU % (100 = one CPU)")
        ax.set_xlabel("s")
        ax.legend(fontsize=6, loc="upper left")
        ax3 = ax.twinx()
        ax3.plot(t, [max(r.get("backlog") or 0, 0) for r in cpu], color="red", linestyle="--",
                 linewidth=1)
        ax3.set_ylabel("CA submissions waiting (red)")
    fig.suptitle(f"RA Console peak day {meta.get('when', '')}: {meta.get('users', 0):,} people")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return True
