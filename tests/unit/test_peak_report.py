"""bench/peak_report.py turns Locust's CSV files of a peak-day run into the report.

The sample files carry Locust's own column names (locust/stats.py, --csv-full-history);
no timing is asserted, only that the figures land where the report says they are.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# bench/ is no package: load the module from its file (registered first, for @dataclass)
_spec = importlib.util.spec_from_file_location("bench_peak_report",
                                               ROOT / "bench" / "peak_report.py")
peak_report = sys.modules.setdefault("bench_peak_report", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(peak_report)

PERCENTILES = "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
STATS = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    f"{PERCENTILES}\n"
    "GET,request page,3,0,120,130,90,210,5000,0.3,0.0,120,120,130,130,200,210,210,210,210,210,210\n"
    "POST,upload CSR,3,1,150,160,110,400,300,0.3,0.1,150,150,160,160,390,400,400,400,400,400,400\n"
    "JOURNEY,send → issued,2,0,2900,3000,2500,4100,0,0.2,0.0,"
    "2900,2900,4100,4100,4100,4100,4100,4100,4100,4100,4100\n"
    "JOURNEY,whole journey,3,1,19000,18000,9000,25000,0,0.3,0.1,"
    "19000,19000,25000,25000,25000,25000,25000,25000,25000,25000,25000\n"
    ",Aggregated,11,2,150,5000,90,25000,2000,1.1,0.2,"
    "150,200,2900,2900,19000,25000,25000,25000,25000,25000,25000\n")
HISTORY_HEAD = (
    f"Timestamp,User Count,Type,Name,Requests/s,Failures/s,{PERCENTILES},Total Request Count,"
    "Total Failure Count,Total Median Response Time,Total Average Response Time,"
    "Total Min Response Time,Total Max Response Time,Total Average Content Size\n")
FAILURES = ("Method,Name,Error,Occurrences,First Seen,Last Seen\n"
            "POST,upload CSR,HTTPError('500 Server Error'),1,1764460000.0,1764460000.0\n")
CPU = ("epoch,app,runners,locust,mail,database,machine,load1,backlog\n"
       "1764460000.0,40.0,10.0,5.0,1.0,8.0,70.0,1.5,0\n"
       "1764460002.0,150.0,20.0,5.0,1.0,10.0,195.0,2.5,4\n"
       "1764460004.0,30.0,60.0,5.0,1.0,6.0,110.0,2.0,0\n")
META = {"when": "2026-11-30 01:00", "users": 3, "spawn_rate": 1.0, "contacts": 1, "admins": 1,
        "runners": 2, "workers": 4, "quick": True, "poll_seconds": 2, "database": "ra_peak",
        "gunicorn": "gunicorn --workers 4 ra_console.wsgi:app",
        "machine": {"cpus": 2, "cpu": "sample CPU", "memory_mib": 1024},
        "load_before": ["0.50", "0.40", "0.30"], "load_after": ["2.00", "1.00", "0.50"],
        "counts": {"issued": 2, "persons": 5, "idm_mailboxes": 5, "mails_sent": 4,
                   "outbox_pending": 0, "outbox_dead": 0}, "run_seconds": 60}


def history(rows: int) -> str:
    lines = [HISTORY_HEAD]
    for i in range(rows):  # the request page gets slow in the second half
        p95 = 100 if i < rows // 2 else 900
        lines.append(f"{1764460000 + 2 * i},{i + 1},GET,request page,1.0,0.0,"
                     + ",".join([str(p95)] * 11) + ",10,0,100,100,90,900,5000\n")
        lines.append(f"{1764460000 + 2 * i},{i + 1},JOURNEY,whole journey,0.1,0.0,"
                     + ",".join(["20000"] * 11) + ",1,0,20000,20000,20000,20000,0\n")
        lines.append(f"{1764460000 + 2 * i},{i + 1},,Aggregated,1.1,0.0,"
                     + ",".join(["20000"] * 11) + ",11,0,100,100,90,20000,5000\n")
    return "".join(lines)


def sample_run(folder: Path, journeys: dict | None = None) -> Path:
    (folder / "peak_stats.csv").write_text(STATS)
    (folder / "peak_stats_history.csv").write_text(history(12))
    (folder / "peak_failures.csv").write_text(FAILURES)
    (folder / "cpu.csv").write_text(CPU)
    (folder / "journeys.json").write_text(json.dumps(
        journeys or {"started": 3, "completed": 2, "failed": 1, "unfinished": 0, "people": 3}))
    return folder


def test_the_report_shows_journeys_pages_errors_and_cpu(tmp_path):
    report = peak_report.build(sample_run(tmp_path), META)
    text = report.markdown
    assert report.completed == 2
    # one failed request plus one person whose journey did not complete
    assert report.errors == 2
    assert report.send_to_issued_p95 == 4100
    assert "| every journey completed | 2 of 3 | **no** |" in text
    assert "| errors = 0 (failed requests + journeys not completed) | 2 | **no** |" in text
    assert "| send → issued p95 ≤ 30 s | 4.1 s | yes |" in text
    assert "| send → issued | 2 | 0 | 2,900 | 4,100 | 4,100 | 4,100 |" in text
    assert "| whole journey | 3 | 1 | 19,000 | 25,000 | 25,000 | 25,000 |" in text
    assert "| request page | GET | 3 | 0 | 120 | 210 | 210 | 210 | 0.3 |" in text
    assert "| upload CSR | POST | 3 | 1 | 150 | 400 | 400 | 400 | 0.3 |" in text
    assert "6 requests, 1 failed" in text  # the journey rows are not pages
    assert "Aggregated" not in text
    assert "| POST | upload CSR | HTTPError('500 Server Error') | 1 |" in text
    assert "| app (gunicorn) | 73 | 150 |" in text
    assert "| job runners | 30 | 60 |" in text
    assert "Load average before the run 0.50 / 0.40 / 0.30" in text
    # saturated (≥ 90 % of 200 %) at the second sample, with the app using most of it
    assert "saturated (≥ 90% of all CPUs busy) 2 s into the run, at 2 simulated users" in text
    assert "The largest consumer was the app (gunicorn)." in text
    assert "Page latency climbed at 7 simulated users" in text
    assert "Outbox backlog of CA submissions: at most 4, at the end 0" in text
    assert "2 certificates issued, 5 persons and 5 IdM mailboxes" in text


def test_a_clean_run_meets_the_targets(tmp_path):
    folder = sample_run(tmp_path)
    (folder / "peak_stats.csv").write_text(
        STATS.replace("POST,upload CSR,3,1,", "POST,upload CSR,3,0,")
        .replace("JOURNEY,whole journey,3,1,", "JOURNEY,whole journey,3,0,"))
    (folder / "peak_failures.csv").write_text(FAILURES.splitlines()[0] + "\n")
    report = peak_report.build(folder, META)
    assert (report.completed, report.errors) == (3, 0)
    assert "| every journey completed | 3 of 3 | yes |" in report.markdown
    assert "| errors = 0 (failed requests + journeys not completed) | 0 | yes |" in \
        report.markdown
    assert "## Failures" not in report.markdown


def test_people_who_never_finished_count_as_errors(tmp_path):
    folder = sample_run(tmp_path)
    report = peak_report.build(folder, {**META, "users": 10})
    assert report.errors == 1 + (10 - 2)
    assert "| every journey completed | 2 of 10 | **no** |" in report.markdown
