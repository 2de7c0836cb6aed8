"""A PgBouncer in transaction pooling mode in front of the configured PostgreSQL (development and tests).

Operators run the platform behind PgBouncer's ``pool_mode = transaction``: every transaction
(and every statement outside one) may run on another server connection, so nothing set on a
session survives. ``tests/pooling`` runs the platform through a real one, started here: Debian's
``pgbouncer`` package (``make test`` installs it when ``/usr/sbin/pgbouncer`` is missing, as it
does Chromium), listening on 127.0.0.1 on a free port, with a small pool (3 server connections by
default) so that clients really share server connections.

Clients are trusted (the listener is on loopback and lives for one test session); PgBouncer logs
in to PostgreSQL with the credentials of the database URL it fronts (the embedded PostgreSQL 16
trusts its unix socket). PgBouncer refuses to run as root: as root it runs as the ``pgserver``
user, which pgserver creates to own the embedded server's data folder (and the socket in it),
or as ``nobody`` where there is no such user (a server on TCP).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

BINARY_CANDIDATES = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")
# PgBouncer refuses to run as root. pgserver's user owns the embedded server's socket folder;
# in front of a server on TCP any unprivileged account does.
RUN_AS_WHEN_ROOT = ("pgserver", "nobody")


def pgbouncer_binary() -> str | None:
    """The pgbouncer executable, or None when the package is not installed."""
    for candidate in BINARY_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("pgbouncer")


@dataclass
class Bouncer:
    """A running PgBouncer: ``url(database)`` reaches ``database`` through it."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes]
    user: str
    password: str

    def url(self, database: str) -> str:
        credentials = quote(self.user, safe="") + (
            f":{quote(self.password, safe='')}" if self.password else ""
        )
        return f"postgresql://{credentials}@127.0.0.1:{self.port}/{quote(database, safe='')}"

    def admin_url(self) -> str:
        """PgBouncer's admin console (``SHOW STATS``, ``SHOW POOLS``: simple queries only)."""
        return self.url("pgbouncer")

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "safe shutdown": waits for clients
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGTERM)  # immediate shutdown
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_target(database_url: str) -> tuple[str, str, str, str]:
    """(host or socket folder, port, user, password) of the PostgreSQL behind ``database_url``."""
    parsed = urlparse(database_url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or ""])[0] or "127.0.0.1"
    port = str(parsed.port or query.get("port", ["5432"])[0])
    return host, port, unquote(parsed.username or "postgres"), unquote(parsed.password or "")


def _unprivileged_account() -> pwd.struct_passwd:
    for name in RUN_AS_WHEN_ROOT:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"pgbouncer will not run as root, and none of the users {RUN_AS_WHEN_ROOT} exists")


def _quote_value(value: str) -> str:
    """A connection-string value in PgBouncer's [databases] section (libpq quoting)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def start_pgbouncer(
    database_url: str,
    *,
    parent: Path,
    pool_size: int = 3,
    max_client_connections: int = 200,
    timeout: float = 10.0,
) -> Bouncer:
    """Start PgBouncer (transaction pooling) in front of ``database_url``'s server, in a fresh
    folder under ``parent``. Every database name is passed through to the server. Raises
    RuntimeError when it does not answer within ``timeout`` (its log is in the message)."""
    binary = pgbouncer_binary()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed (`make test` installs Debian's package)")
    host, server_port, user, password = _server_target(database_url)
    parent.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-", dir=parent))
    port = _free_port()
    server = f"host={_quote_value(host)} port={server_port} user={_quote_value(user)}"
    if password:
        server += f" password={_quote_value(password)}"
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        "\n".join(
            [
                "[databases]",
                # Any database name a client asks for, on the same server (the test database
                # is created per run).
                f"* = {server}",
                "",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {directory / 'userlist.txt'}",
                f"admin_users = {user}",
                f"stats_users = {user}",
                "pool_mode = transaction",
                f"default_pool_size = {pool_size}",
                "min_pool_size = 0",
                "reserve_pool_size = 0",
                f"max_client_conn = {max_client_connections}",
                # psycopg sends none of these, other drivers do; harmless to ignore.
                "ignore_startup_parameters = extra_float_digits,options",
                f"logfile = {directory / 'pgbouncer.log'}",
                f"pidfile = {directory / 'pgbouncer.pid'}",
                "log_connections = 0",
                "log_disconnections = 0",
                "stats_period = 1",
                "",
            ]
        )
    )
    command = [binary, "--quiet", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        # PgBouncer will not run as root; pgserver's user owns the embedded server's socket.
        account = _unprivileged_account()
        for path in (directory, *directory.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        command[1:1] = ["--user", account.pw_name]
    with open(directory / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
    bouncer = Bouncer(port=port, directory=directory, process=process, user=user, password=password)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return bouncer
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = (directory / "stderr.log").read_text(errors="replace") + bouncer.log()
                bouncer.stop()
                raise RuntimeError(f"pgbouncer did not start on 127.0.0.1:{port}: {output}") from None
            time.sleep(0.05)
