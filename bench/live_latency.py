"""Click → live delivery: how long after a click on an affiliate's link the affiliate's open
dashboard (an ``affiliateStats`` subscription over graphql-transport-ws) receives it, with many
subscribers spread over several brands; and whether any delivery crosses brands.

A measurement, not a test: it prints p50 / p95 / p99 / max latency from sending the click to
receiving the subscription's next message, lost deliveries, and unexpected deliveries (a
message no click of the subscriber's own explains), the CPU load while the clicks were fired
(the machine's, from /proc/stat, and the CPU seconds of uvicorn, the drain and this load
generator), then whether the goals hold (p95 <= 300 ms up to 50 clicks/s, <= 1 s above; none
lost, zero cross-brand). Exits 0 either way.

Each tick carries the deltas it announces (``core.live``): a subscriber applies them without
a database query, so the database work per tick does not grow with the subscribers.

Runs on a scratch database (see _common.py) with Redis keys, channel-layer groups and cache
keys under a prefix of its own (removed at the end).

The project runs as in production, in processes of its own: uvicorn serving
``config.asgi:application`` (the click lane, Django and the websockets; one worker) and
``manage.py tracking_drain``, with DEBUG off. This process opens the websockets (each
authenticated with the affiliate's API token in ``connection_init``) and fires the clicks at
``/r/<code>`` on loopback at a steady rate, round-robin over every subscriber, brand after
brand. Every brand's affiliates have the same ids (each schema has its own sequence), so a
tick leaking from one brand's group to another's would reach the twin subscriber and be
counted.

    python bench/live_latency.py [--brands 10] [--subscribers 1000] [--clicks 2000] [--rate 25]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import brand_by_clone, median, percentile, print_table, scratch_database

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GOAL_P95_MS = 1000.0  # above GOAL_FAST_RATE clicks/s
GOAL_FAST_P95_MS = 300.0  # up to GOAL_FAST_RATE clicks/s
GOAL_FAST_RATE = 50.0
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SUBSCRIPTION = "subscription($p: ID!) { affiliateStats(programId: $p) { clicks } }"
CROSS_BRAND_WINDOW_SECONDS = 5.0


@dataclass
class Subscriber:
    brand: int
    host: str
    program_id: int
    affiliate_id: int
    code: str
    token: str
    sent: list[float] = field(default_factory=list)  # when each click was sent
    seen: int = 0  # clicks the last message counted
    latencies: list[tuple[int, float]] = field(default_factory=list)  # (click number, seconds)
    unexpected: list[float] = field(default_factory=list)  # when unexplained messages came


def _brands_create(brands: int, per_brand: int) -> list[list[Subscriber]]:
    """Brands cloned from the template, each with a program, ``per_brand`` approved affiliates,
    a link and a read token each; the click lane's routes published."""
    from decimal import Decimal

    from django_tenants.utils import schema_context

    from accounts.models import ApiTokenScope, Role, User
    from accounts.services import api_token_create
    from affiliation.models import Affiliate, AffiliateStatus, CommissionTier, Link, Program
    from tenants.services import domain_for_subdomain, schema_name_for_subdomain
    from tracking.routing import routes_warm

    result = []
    for number in range(brands):
        subdomain = f"live{number}"
        brand_by_clone(subdomain)
        with schema_context(schema_name_for_subdomain(subdomain)):
            program = Program.objects.create(
                name="Live", slug="live", landing_url="https://shop.example.com/", currency="EUR"
            )
            tier = CommissionTier.objects.create(
                program=program, code="default", label="Default", rate=Decimal(20), is_default=True
            )
            users = User.objects.bulk_create(
                User(email=f"affiliate{n}@{subdomain}.test", role=Role.AFFILIATE) for n in range(per_brand)
            )
            members = Affiliate.objects.bulk_create(
                Affiliate(
                    user=user,
                    program=program,
                    tier=tier,
                    status=AffiliateStatus.APPROVED,
                    referral_code=f"{subdomain}-{n}",
                )
                for n, user in enumerate(users)
            )
            links = Link.objects.bulk_create(
                Link(
                    affiliate=member,
                    program=program,
                    code=f"{subdomain}x{n}",
                    target_url="https://shop.example.com/",
                )
                for n, member in enumerate(members)
            )
            host = domain_for_subdomain(subdomain)
            result.append(
                [
                    Subscriber(
                        brand=number,
                        host=host,
                        program_id=program.pk,
                        affiliate_id=member.pk,
                        code=link.code,
                        token=api_token_create(user=member.user, name="live", scopes=[ApiTokenScope.READ])[1],
                    )
                    for member, link in zip(members, links, strict=True)
                ]
            )
    routes_warm()
    return result


# --- processes ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)


def _wait_for_port(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- CPU -------------------------------------------------------------------------------------


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already in user time
    return total - idle, total


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuLoad:
    """CPU used between ``start`` and ``stop``: the machine's share and some processes' seconds."""

    pids: dict[str, int]
    busy: float = 0.0  # fraction of all cores
    seconds: dict[str, float] = field(default_factory=dict)
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    load_average: str = ""
    _start: tuple[tuple[int, int], dict[str, float], float] | None = None

    def start(self) -> None:
        self._start = (_cpu_ticks(), {name: _cpu_seconds(pid) for name, pid in self.pids.items()}, 0.0)

    def stop(self) -> None:
        assert self._start is not None
        (busy_before, total_before), before, _ = self._start
        busy_after, total_after = _cpu_ticks()
        self.busy = (busy_after - busy_before) / max(total_after - total_before, 1)
        self.seconds = {name: _cpu_seconds(pid) - before[name] for name, pid in self.pids.items()}
        with open("/proc/loadavg") as loadavg:
            self.load_average = " ".join(loadavg.read().split()[:3])


# --- the load --------------------------------------------------------------------------------


async def _subscribe(subscriber: Subscriber, port: int, opened: asyncio.Semaphore, ready: Any) -> None:
    from websockets.asyncio.client import connect

    async with opened:
        connection = await connect(
            f"ws://{subscriber.host}:{port}/graphql/",
            host=HOST,
            port=port,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            proxy=None,
            open_timeout=120,
            ping_interval=None,
            max_queue=None,
        )
        await connection.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {subscriber.token}"}}
            )
        )
        acknowledged = json.loads(await connection.recv())
        if acknowledged.get("type") != "connection_ack":
            raise RuntimeError(f"not acknowledged: {acknowledged}")
        await connection.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"p": str(subscriber.program_id)}},
                }
            )
        )
        snapshot = json.loads(await connection.recv())
        subscriber.seen = int(snapshot["payload"]["data"]["affiliateStats"]["clicks"])
    ready()
    try:
        async for raw in connection:
            received = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            clicks = int(message["payload"]["data"]["affiliateStats"]["clicks"])
            if clicks <= subscriber.seen or clicks > len(subscriber.sent):
                subscriber.unexpected.append(received)  # no click of its own explains it
            else:
                for number in range(subscriber.seen, clicks):
                    subscriber.latencies.append((number, received - subscriber.sent[number]))
            subscriber.seen = max(subscriber.seen, clicks)
    finally:
        await connection.close()


class _Lane:
    """Keep-alive HTTP/1.1 connections to the click lane, a request each at a time: a click is
    a few bytes written and a 302 read. (httpx cost this process about 3 ms of CPU per request:
    at 200 clicks/s on a loaded machine the load generator, not the server, set the pace.)"""

    def __init__(self, port: int, size: int) -> None:
        self.port, self.size = port, size
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.free.put_nowait(await asyncio.open_connection(HOST, self.port))

    async def close(self) -> None:
        while not self.free.empty():
            _, writer = self.free.get_nowait()
            writer.close()

    async def click(self, subscriber: Subscriber, failures: list[str]) -> None:
        reader, writer = await self.free.get()
        try:
            subscriber.sent.append(time.perf_counter())  # before the request: delivery may beat the 302
            writer.write(
                f"GET /r/{subscriber.code} HTTP/1.1\r\nHost: {subscriber.host}\r\n"
                f"User-Agent: {USER_AGENT}\r\n\r\n".encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head.split(b" ", 2)[1])
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and int(value):
                    await reader.readexactly(int(value))
        finally:
            self.free.put_nowait((reader, writer))
        if status != 302:
            failures.append(f"{status} for {subscriber.host}/r/{subscriber.code}")


async def _run(
    brands: list[list[Subscriber]], port: int, args: argparse.Namespace, cpu: CpuLoad
) -> dict[str, Any]:
    everyone = [subscriber for brand in brands for subscriber in brand]
    opened = asyncio.Semaphore(50)
    ready_count = 0
    all_ready = asyncio.Event()

    def ready() -> None:
        nonlocal ready_count
        ready_count += 1
        if ready_count == len(everyone):
            all_ready.set()

    started = time.perf_counter()
    listeners = [asyncio.create_task(_subscribe(s, port, opened, ready)) for s in everyone]
    waiting = asyncio.create_task(all_ready.wait())
    done, _ = await asyncio.wait(
        [waiting, *listeners], timeout=args.seconds, return_when=asyncio.FIRST_COMPLETED
    )
    while waiting not in done:  # a listener finished early: it failed
        failed = [task for task in done if task is not waiting]
        for task in failed:
            if task.exception() is not None:
                raise RuntimeError(f"a subscriber failed to open: {task.exception()!r}")
        done, _ = await asyncio.wait([waiting], timeout=args.seconds)
        if not done:
            raise RuntimeError(f"only {ready_count} of {len(everyone)} subscriptions opened in time")
    open_seconds = time.perf_counter() - started

    # Round-robin, brand after brand: a subscriber's clicks come len(everyone) / rate seconds
    # apart, and the same affiliate id in the next brand is clicked len(brand) / rate later.
    order = [everyone[n % len(everyone)] for n in range(args.clicks)]
    failures: list[str] = []
    interval = 1.0 / args.rate
    deadline = time.perf_counter() + args.seconds
    lane = _Lane(port, 32)
    await lane.open()
    try:
        clicks = []
        cpu.start()
        firing_started = time.perf_counter()
        for number, subscriber in enumerate(order):
            pause = firing_started + number * interval - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            if time.perf_counter() > deadline:
                break
            clicks.append(asyncio.create_task(lane.click(subscriber, failures)))
        await asyncio.gather(*clicks)
        firing_seconds = time.perf_counter() - firing_started
    finally:
        await lane.close()
    sent = sum(len(s.sent) for s in everyone)
    settle = time.perf_counter() + 10
    while time.perf_counter() < settle and sum(len(s.latencies) for s in everyone) < sent:
        await asyncio.sleep(0.05)
    cpu.stop()  # the firing and the deliveries it caused
    delivery_seconds = time.perf_counter() - firing_started
    await asyncio.sleep(1.5)  # time for a stray (leaked) tick to show up
    # Closed 50 at a time: a thousand sockets leaving at once exhaust the server's channel-layer
    # connection pool (each leaves its groups), which only floods the log.
    for start in range(0, len(listeners), 50):
        chunk = listeners[start : start + 50]
        for task in chunk:
            task.cancel()
        await asyncio.gather(*chunk, return_exceptions=True)

    cross_brand = 0
    for subscriber in everyone:
        for moment in subscriber.unexpected:
            twins = [
                other
                for other in everyone
                if other.affiliate_id == subscriber.affiliate_id and other.brand != subscriber.brand
            ]
            if any(0 <= moment - when <= CROSS_BRAND_WINDOW_SECONDS for twin in twins for when in twin.sent):
                cross_brand += 1
    latencies = [latency * 1000 for s in everyone for _, latency in s.latencies]
    by_round: dict[int, list[float]] = {}
    for s in everyone:
        for number, latency in s.latencies:
            by_round.setdefault(number, []).append(latency * 1000)
    return {
        "by_round": by_round,
        "open_seconds": open_seconds,
        "firing_seconds": firing_seconds,
        "delivery_seconds": delivery_seconds,
        "sent": sent,
        "delivered": len(latencies),
        "latencies": latencies,
        "unexpected": sum(len(s.unexpected) for s in everyone),
        "cross_brand": cross_brand,
        "failures": failures,
    }


def _cleanup(prefix: str) -> None:
    """This run's keys: routes and stream (tracking db), channel layer and cache (their dbs)."""
    import redis
    from django.conf import settings

    urls = {
        settings.TRACKING_REDIS_URL,
        settings.CACHES["default"]["LOCATION"],
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"],
    }
    for url in urls:
        client = redis.Redis.from_url(url)
        stale = list(client.scan_iter(match=f"*{prefix}*", count=1000))  # cache keys start with the schema
        if stale:
            client.delete(*stale)
        client.close()


def _figures(values: list[float]) -> list[object]:
    return [len(values), median(values), percentile(values, 0.95), percentile(values, 0.99), max(values)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brands", type=int, default=10, help="brands (default 10)")
    parser.add_argument(
        "--subscribers", type=int, default=1000, help="websocket subscribers in all (default 1000)"
    )
    parser.add_argument("--clicks", type=int, default=2000, help="clicks fired (default 2000)")
    parser.add_argument("--rate", type=float, default=25.0, help="clicks per second (default 25)")
    parser.add_argument("--seconds", type=float, default=120.0, help="bound on each phase (default 120)")
    args = parser.parse_args()

    prefix = f"benchlive{os.getpid()}-{time.time_ns() % 10**9}"
    for name in ("TRACKING_KEY_PREFIX", "CHANNEL_LAYER_PREFIX", "CACHE_KEY_PREFIX"):
        os.environ[name] = prefix  # this process and the servers share them
    # The servers run with the base settings: DEBUG off, as in production.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    per_brand = max(1, args.subscribers // args.brands)

    with scratch_database("live_latency") as database, tempfile.TemporaryDirectory() as fallback:
        brands = _brands_create(args.brands, per_brand)
        env = dict(os.environ, CLICK_FALLBACK_DIR=fallback, CLICK_DRAIN_CONSUMER=f"{prefix}-drain")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT), env.get("PYTHONPATH", "")])
        port = _free_port()
        server = _start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                HOST,
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
                "--lifespan",
                "off",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env,
        )
        drain = _start([sys.executable, "manage.py", "tracking_drain"], env)
        try:
            _wait_for_port(server, port)
            print(
                f"database {database}: {args.brands} brands x {per_brand} affiliates, one subscription each; "
                f"{args.clicks} clicks at {args.rate:.0f}/s; uvicorn (1 worker) and the drain in processes "
                "of their own",
                flush=True,
            )
            cpu = CpuLoad(pids={"uvicorn": server.pid, "drain": drain.pid, "load generator": os.getpid()})
            result = asyncio.run(_run(brands, port, args, cpu))
        finally:
            _stop(server)
            _stop(drain)
            _cleanup(prefix)

    latencies = result["latencies"]
    lost = result["sent"] - result["delivered"]
    print(
        f"subscriptions opened in {result['open_seconds']:.1f} s; {result['sent']} clicks fired in "
        f"{result['firing_seconds']:.1f} s; {len(result['failures'])} not redirected"
    )
    if latencies:
        rows: list[list[object]] = [["affiliateStats over websocket, all", *_figures(latencies)]]
        for number, values in sorted(result["by_round"].items()):
            label = "first click of each (cold caches)" if number == 0 else f"click {number + 1} of each"
            rows.append([f"  {label}", *_figures(values)])
        print_table(["click -> delivery", "deliveries", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)
    print(
        f"lost (never delivered): {lost}; unexpected deliveries: {result['unexpected']}; "
        f"cross-brand deliveries: {result['cross_brand']}"
    )
    seconds = result["delivery_seconds"]
    processes = ", ".join(
        f"{name} {used:.1f} s ({used / seconds:.0%} of a core)" for name, used in cpu.seconds.items()
    )
    print(
        f"CPU while firing and delivering ({seconds:.1f} s): machine {cpu.busy:.0%} of {cpu.cores} cores "
        f"busy (load average {cpu.load_average}); {processes}"
    )
    p95 = percentile(latencies, 0.95) if latencies else float("inf")
    goal = GOAL_FAST_P95_MS if args.rate <= GOAL_FAST_RATE else GOAL_P95_MS
    print(
        f"goal at {args.rate:.0f} clicks/s: p95 <= {goal:.0f} ms: {'met' if p95 <= goal else 'NOT met'} "
        f"(p95 {p95:.0f} ms)"
    )
    met = lost == 0 and result["cross_brand"] == 0 and result["unexpected"] == 0
    print(f"goal: none lost, zero cross-brand deliveries: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
