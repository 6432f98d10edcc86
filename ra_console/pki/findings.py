"""pkilint's findings as plain values, and which of them block delivery. Apart from
lint.py (which loads pkilint's schemas, tens of MB) so that the OCSP responder of every web
worker can name them without loading pkilint."""

from __future__ import annotations

from dataclasses import dataclass

# Findings at or above this level block delivery; NOTICE/INFO are informational.
BLOCKING = ("FATAL", "ERROR", "WARNING")


@dataclass(frozen=True)
class Finding:
    severity: str  # FATAL, ERROR, WARNING, NOTICE, INFO
    code: str
    message: str


def findings_of(results) -> list[Finding]:
    found = []
    for result in results:
        for description in result.finding_descriptions:
            found.append(Finding(
                severity=description.finding.severity.name,
                code=description.finding.code,
                message=description.message or "",
            ))
    return found


def is_blocking(findings: list[Finding]) -> bool:
    """True if any finding is a warning or worse."""
    return any(f.severity in BLOCKING for f in findings)
