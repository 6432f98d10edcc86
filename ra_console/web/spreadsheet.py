"""The one CSV writer for files people open in a spreadsheet (the console's exports).

A cell that starts with a formula character would run as a formula in Excel or LibreOffice
(CSV injection): names, user names and audit actors are typed by other people. OWASP's rule
(https://owasp.org/www-community/attacks/CSV_Injection): prefix such a cell with a single
quote, so the spreadsheet shows it as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell as text; a leading formula character made harmless."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line (RFC 4180 quoting), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
