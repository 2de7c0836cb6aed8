"""CSV cells that a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Spreadsheet formula injection (CSV injection): text starting with = + - @ (or a tab or
    carriage return) is prefixed with a quote, so Excel and LibreOffice show it as text."""
    if isinstance(value, str) and value[:1] in FORMULA_PREFIXES:
        return "'" + value
    return value


def csv_lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    """Each row as one CSV line, every cell made ``spreadsheet_safe``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
