"""Clicks that could not reach the Redis stream, kept as JSON lines on local disk.

When Redis is unavailable the lane still redirects; each process appends its clicks to a
file of its own under ``CLICK_FALLBACK_DIR``, and the drain ingests the files later.

Handing a file over without losing a line: the writer creates ``<name>.jsonl.new``, takes
an exclusive ``flock`` on it, and only then renames it to ``<name>.jsonl``, so a ``.jsonl``
file is always locked while its writer may still append to it. The writer lets go of its
file (closes it, which releases the lock) when Redis is back, after ``rotate_seconds``, or
when the process dies. The drain takes a ``.jsonl`` only if it can lock it itself, renames
it to ``.processing`` (a crash of the drain leaves it there, to be ingested again: the drain
is idempotent by click id), ingests it, then deletes it.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SUFFIX = ".jsonl"
NEW_SUFFIX = ".jsonl.new"
PROCESSING_SUFFIX = ".processing"
ROTATE_SECONDS = 60.0
_STALE_NEW_SECONDS = 60.0


class FallbackLog:
    """The current process's fallback file. Used from one event loop (no locking needed)."""

    def __init__(self, directory: Path, *, rotate_seconds: float = ROTATE_SECONDS) -> None:
        self.directory = Path(directory)
        self.rotate_seconds = rotate_seconds
        self._fd: int | None = None
        self._opened_at = 0.0
        self._numbers = itertools.count(1)

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def write(self, entries: list[dict[str, Any]]) -> None:
        """Append ``entries`` (one JSON object a line) in one write; raises OSError on failure."""
        if self._fd is not None and time.monotonic() - self._opened_at > self.rotate_seconds:
            self.close()
        if self._fd is None:
            self._fd = self._open()
            self._opened_at = time.monotonic()
        data = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in entries)
        os.write(self._fd, data.encode())

    def close(self) -> None:
        """Hand the file over to the drain."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"clicks-{socket.gethostname()}-{os.getpid()}-{time.time_ns()}-{next(self._numbers)}"
        new_path = self.directory / (name + NEW_SUFFIX)
        fd = os.open(new_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(new_path, self.directory / (name + SUFFIX))
        return fd


def fallback_files_claim(directory: Path) -> Iterator[Path]:
    """Files ready to ingest, each renamed to ``.processing`` (left-overs of a crash first)."""
    directory = Path(directory)
    if not directory.is_dir():
        return
    yield from sorted(directory.glob("*" + PROCESSING_SUFFIX))
    for path in sorted(directory.glob("*" + SUFFIX)):
        claimed = _claim(path, path.with_suffix(PROCESSING_SUFFIX))
        if claimed is not None:
            yield claimed
    for path in directory.glob("*" + NEW_SUFFIX):
        # A writer that died between creating and renaming its file: nothing was written yet.
        if _unlocked(path) and time.time() - _mtime(path) > _STALE_NEW_SECONDS:
            path.unlink(missing_ok=True)


def _claim(path: Path, target: Path) -> Path | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # its writer is alive and may still append
        os.close(fd)
        return None
    try:
        os.rename(path, target)
    except FileNotFoundError:  # another drain took it
        return None
    finally:
        os.close(fd)
    return target


def _unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def fallback_file_read(path: Path) -> list[dict[str, Any]]:
    """The clicks of a claimed file. A torn last line (the writer died mid-write) is skipped."""
    entries: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", errors="replace") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("fallback file %s: line %d is not JSON, skipped", path.name, number)
                continue
            if isinstance(entry, dict):
                entries.append(entry)
    return entries
