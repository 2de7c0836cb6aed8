"""The click path under load: ``GET /r/<code>`` through the project's ASGI app against a bare
ASGI app that only answers a 302, both under uvicorn with the same settings (2 workers).

A measurement, not a test: it prints requests/s and latency percentiles of both, their
ratio, whether the goals hold (ratio >= 0.5 with every click recorded, p99 <= 5 ms at 64
connections) and whether every counted click reached the Redis stream; it exits 0 either
way. Everything runs on 127.0.0.1 and stops by itself: a scratch database (see _common.py),
a Redis key prefix of its own (removed at the end), two servers started and stopped here,
and a load generator written here (asyncio, raw HTTP/1.1 keep-alive, one request in flight
per connection), split over ``--processes`` processes.

    python bench/redirect.py [--seconds 10] [--connections 64] [--processes 2] [--warmup 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
BRAND = "benchclick"
CODE = "benchlink"
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
GOAL_RATIO = 0.5
GOAL_P99_MS = 5.0
UVICORN_OPTIONS = [
    "--host",
    HOST,
    "--workers",
    "2",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--lifespan",
    "off",
    "--no-access-log",
    "--log-level",
    "warning",
]


# --- the baseline: a bare ASGI app (uvicorn imports it from this file: stdlib only above) ----

_BARE_HEADERS = [
    (b"location", b"https://shop.example.com/landing?afp_click_id=0"),
    (b"cache-control", b"no-store"),
    (b"content-length", b"0"),
]


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """What a 302 costs under uvicorn with nothing else: the ceiling of any redirect."""
    await send({"type": "http.response.start", "status": 302, "headers": _BARE_HEADERS})
    await send({"type": "http.response.body", "body": b""})


# --- the load generator ----------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending the same request again as soon as the answer is in."""

    def __init__(self, request: bytes, until: float, record_from: float, results: dict[str, Any]) -> None:
        self.request = request
        self.until = until
        self.record_from = record_from
        self.results = results
        self.buffer = b""
        self.started = 0
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        self.started = time.perf_counter_ns()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end]
        at = head.find(b"\r\ncontent-length: ")
        length = 0
        if at >= 0:
            line_end = head.find(b"\r\n", at + 2)
            length = int(head[at + 18 : line_end if line_end >= 0 else len(head)])
        if len(self.buffer) < end + 4 + length:
            return
        now = time.perf_counter_ns()
        status = head[9:12]
        self.buffer = self.buffer[end + 4 + length :]
        results = self.results
        results["responses"] += 1
        if status != b"302":
            results["errors"] += 1
        if now >= self.record_from:
            results["latencies"].append(now - self.started)
        if now < self.until:
            self._send()
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _load(port: int, request: bytes, connections: int, warmup: float, seconds: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = time.perf_counter_ns()
    record_from = start + int(warmup * 1e9)
    until = record_from + int(seconds * 1e9)
    results: dict[str, Any] = {"responses": 0, "errors": 0, "latencies": []}
    protocols = []
    for _ in range(connections):
        _, protocol = await loop.create_connection(
            lambda: _Connection(request, until, record_from, results), HOST, port
        )
        protocols.append(protocol)
    await asyncio.gather(*(protocol.done for protocol in protocols))
    return results


def _load_process(
    port: int, request: bytes, connections: int, warmup: float, seconds: float, queue: Any
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    queue.put(asyncio.run(_load(port, request, connections, warmup, seconds)))


def run_load(
    port: int, request: bytes, connections: int, processes: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """``connections`` split over ``processes`` generator processes; merged results."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    workers = [
        context.Process(target=_load_process, args=(port, request, share, warmup, seconds, queue))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    parts = [queue.get(timeout=warmup + seconds + 60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    latencies = sorted(latency for part in parts for latency in part["latencies"])
    return {
        "responses": sum(part["responses"] for part in parts),
        "errors": sum(part["errors"] for part in parts),
        "latencies_ms": [latency / 1e6 for latency in latencies],
        "seconds": seconds,
    }


# --- servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    app: str, port: int, env: dict[str, str], app_dir: str | None = None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), *UVICORN_OPTIONS]
    if app_dir:
        command += ["--app-dir", app_dir]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{app} exited with {server.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"{app} did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time of the uvicorn master and its workers so far (Linux /proc)."""
    pids = [server.pid]
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def measure(
    label: str,
    app: str,
    env: dict[str, str],
    args: argparse.Namespace,
    request: bytes,
    app_dir: str | None = None,
) -> dict[str, Any]:
    port = _free_port()
    server = start_server(app, port, env, app_dir)
    try:
        cpu_before = _server_cpu_seconds(server)
        result = run_load(port, request, args.connections, args.processes, args.warmup, args.seconds)
        cpu = _server_cpu_seconds(server) - cpu_before
    finally:
        stop_server(server)
    # Per request, warm-up included: what the server spends, whoever else shares the cores.
    result["cpu_us"] = cpu * 1e6 / max(result["responses"], 1)
    result["label"] = label
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per app (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections (default 64)")
    parser.add_argument("--processes", type=int, default=2, help="load generator processes (default 2)")
    args = parser.parse_args()

    prefix = f"bench{os.getpid()}-{time.time_ns() % 10**9}"  # keys of this run only
    os.environ["TRACKING_KEY_PREFIX"] = prefix  # read by the settings of this process and the servers
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import brand_by_clone, percentile, print_table, scratch_database

    with scratch_database("redirect") as database:
        import redis
        from django.conf import settings

        from tracking import keys
        from tracking.routing import routes_warm

        brand_by_clone(BRAND)
        _link_create()
        routes_warm()
        stream = keys.click_stream_key(prefix)
        client = redis.Redis.from_url(settings.TRACKING_REDIS_URL)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT), env.get("PYTHONPATH", "")])
        host = f"{BRAND}.{settings.ROOT_DOMAIN}"
        request = f"GET /r/{CODE} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n\r\n".encode()
        try:
            print(
                f"database {database}; uvicorn, 2 workers (uvloop, httptools); {args.connections} "
                f"connections from {args.processes} generator processes; {args.warmup:.0f} s warm-up, "
                f"{args.seconds:.0f} s measured, per app",
                flush=True,
            )
            bare = measure(
                "bare ASGI 302", "redirect:bare_app", env, args, request, app_dir=str(ROOT / "bench")
            )
            lane = measure("project /r/<code>", "config.asgi:application", env, args, request)
            recorded = int(client.xlen(stream))
        finally:
            stale = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if stale:
                client.delete(*stale)
            client.close()

    rows = []
    for result in (bare, lane):
        latencies = result["latencies_ms"]
        rows.append(
            [
                result["label"],
                len(latencies) / result["seconds"],
                percentile(latencies, 0.5),
                percentile(latencies, 0.99),
                max(latencies),
                result["errors"],
                result["cpu_us"],
            ]
        )
    print_table(["app", "requests/s", "p50 ms", "p99 ms", "max ms", "non-302", "server CPU µs/req"], rows)
    ratio = rows[1][1] / rows[0][1]
    lane_p99 = rows[1][3]
    cpu_ratio = rows[1][6] / rows[0][6]
    print(f"ratio project/bare (requests/s): {ratio:.2f}; server CPU per request: {cpu_ratio:.2f}x")
    print(f"clicks in the stream: {recorded} of {lane['responses']} redirects answered (warm-up included)")
    complete = recorded == lane["responses"] and lane["errors"] == 0
    print(
        f"goal: ratio >= {GOAL_RATIO} with every click recorded: {_verdict(ratio >= GOAL_RATIO and complete)}"
    )
    print(
        f"goal: p99 <= {GOAL_P99_MS:.0f} ms at {args.connections} connections: "
        f"{_verdict(lane_p99 <= GOAL_P99_MS)}"
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _link_create() -> None:
    """A program, an approved affiliate and the link the load generator clicks."""
    from decimal import Decimal

    from django_tenants.utils import schema_context

    from accounts.models import Role, User
    from affiliation.models import Affiliate, AffiliateStatus, CommissionTier, Link, Program
    from tenants.services import schema_name_for_subdomain

    with schema_context(schema_name_for_subdomain(BRAND)):
        program = Program.objects.create(
            name="Bench", slug="bench", landing_url="https://shop.example.com/", currency="USD"
        )
        tier = CommissionTier.objects.create(
            program=program, code="default", label="Default", rate=Decimal("20"), is_default=True
        )
        user = User.objects.create_user(email="bench@example.com", password=None, role=Role.AFFILIATE)
        affiliate = Affiliate.objects.create(
            user=user, program=program, tier=tier, status=AffiliateStatus.APPROVED, referral_code="bench"
        )
        Link.objects.create(
            affiliate=affiliate,
            program=program,
            code=CODE,
            target_url="https://shop.example.com/landing?ref=bench",
            utm={"utm_source": "bench"},
        )


if __name__ == "__main__":
    main()
