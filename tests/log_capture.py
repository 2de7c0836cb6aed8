"""Log lines as the production formatter writes them (JSON), captured for assertions."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.logs import logging_config


class JsonLines(logging.Handler):
    """Formats every record with the production formatter (JSON) in the thread that logs it,
    as the real handler does (the context is read there), and keeps the parsed lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        formatter = dict(logging_config(log_format="json", level="INFO")["formatters"]["structured"])
        factory = formatter.pop("()")
        self.setFormatter(factory(**formatter))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def named(self, event: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            line
            for line in list(self.lines)
            if line["event"] == event and all(line.get(key) == value for key, value in fields.items())
        ]


@contextmanager
def json_lines_captured(level: int = logging.INFO, *loggers: str) -> Iterator[JsonLines]:
    """Capture on the root logger (at ``level``; the named ``loggers`` too, if given)."""
    handler = JsonLines()
    root = logging.getLogger()
    touched = [root, *(logging.getLogger(name) for name in loggers)]
    levels = [logger.level for logger in touched]
    root.addHandler(handler)
    for logger in touched:
        logger.setLevel(level)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, old in zip(touched, levels, strict=True):
            logger.setLevel(old)
