"""``python -m devstack run|test|manage|bench|screenshots``: what ``make run`` and ``make test`` execute.

Starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset, prepares
the database, then serves (run) or checks (test), and stops what it started on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from devstack.services import ROOT, SOURCE_ROOTS, VAR, ensure_services, stop_services
from devstack.supervisor import Supervisor

PYTHON = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def _runtime_dir() -> str:
    """pgserver asks platformdirs for a runtime dir, which must be private (0700)."""
    path = VAR / "run"
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return str(path)


def _env(settings_module: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    env.setdefault("XDG_RUNTIME_DIR", _runtime_dir())
    env["PYTHONPATH"] = os.pathsep.join([*map(str, SOURCE_ROOTS), env.get("PYTHONPATH", "")])
    return env


@contextmanager
def _services() -> Iterator[None]:
    """The configured services, or the embedded ones started for the duration (and stopped)."""
    os.environ.setdefault("XDG_RUNTIME_DIR", _runtime_dir())
    services = ensure_services()
    os.environ.update(services.as_env())
    try:
        yield
    finally:
        stop_services(services.started)


def _manage(args: Sequence[str], env: dict[str, str]) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def _prepare_database(env: dict[str, str]) -> str:
    """Migrate and provision the demo; returns what provision_demo printed (URLs and users)."""
    started = time.perf_counter()
    _manage(["migrate_schemas", "--shared", "-v", "0"], env)
    _manage(["platform_init", "-v", "0"], env)
    _manage(["migrate_schemas", "--tenant", "-v", "0"], env)
    demo = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "provision_demo"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    _manage(["tracking_warm", "-v", "0"], env)  # the click lane's routes in Redis
    print(f"database ready in {time.perf_counter() - started:.1f} s", flush=True)
    return demo


# The local fake Stripe API that `make run` starts when no STRIPE_API_KEY is configured.
STRIPE_FAKE_PORT = os.environ.get("STRIPE_FAKE_PORT", "12111")
STRIPE_FAKE_API_KEY = "sk_test_devstack_local"
STRIPE_FAKE_WEBHOOK_SECRET = "whsec_devstack_local"


def _wait_listening(process: subprocess.Popen[bytes], port: int, what: str, seconds: float = 15) -> None:
    """Return once ``process`` accepts connections on 127.0.0.1:``port``; raise if it died or
    took longer than ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


@contextmanager
def _stripe() -> Iterator[None]:
    """Stripe as configured, or the fake (``python -m stripe_fake``) on 127.0.0.1 with its webhook
    endpoint on the local platform's root domain, for the duration (and stopped)."""
    if os.environ.get("STRIPE_API_KEY"):
        yield
        return
    base = f"http://127.0.0.1:{STRIPE_FAKE_PORT}"
    webhook_url = f"http://{os.environ.get('ROOT_DOMAIN', 'localhost')}:{PORT}/stripe/webhook/"
    fake = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "stripe_fake",
            "--host",
            "127.0.0.1",
            "--port",
            STRIPE_FAKE_PORT,
            "--api-key",
            STRIPE_FAKE_API_KEY,
            "--webhook-url",
            webhook_url,
            "--webhook-secret",
            STRIPE_FAKE_WEBHOOK_SECRET,
            # As Stripe: webhooks after the call returns, in any order, some twice; and the
            # customer portal configured (the billing page's "Manage billing" needs it).
            "--async-webhooks",
            "--shuffle",
            "--duplicates",
            "0.1",
            "--portal-configuration",
        ],
        env=_env("config.settings.local"),
        cwd=ROOT,
    )
    try:
        _wait_listening(fake, int(STRIPE_FAKE_PORT), f"the fake Stripe API on {base}")
        os.environ.update(
            STRIPE_API_KEY=STRIPE_FAKE_API_KEY,
            STRIPE_API_BASE=base,
            STRIPE_WEBHOOK_SECRET=STRIPE_FAKE_WEBHOOK_SECRET,
        )
        print(f"Stripe: the local fake on {base} (webhooks to {webhook_url})", flush=True)
        yield
    finally:
        _stop([fake])


# The local fake PayPal Payouts API that `make run` starts when no PAYPAL_CLIENT_ID is configured.
PAYPAL_FAKE_PORT = os.environ.get("PAYPAL_FAKE_PORT", "12112")
PAYPAL_FAKE_CLIENT_ID = "AdevstackLocalClientId"
PAYPAL_FAKE_CLIENT_SECRET = "EdevstackLocalSecret"
PAYPAL_FAKE_WEBHOOK_ID = "WH-DEVSTACK-LOCAL"


@contextmanager
def _paypal() -> Iterator[None]:
    """PayPal as configured, or the fake (``python -m paypal_fake``) on 127.0.0.1: payout items
    get their outcome 2 s after a run is sent (receivers containing "fail" fail, "unclaimed" stay
    unclaimed, "return" are paid then returned) and the webhooks go to the root domain."""
    if os.environ.get("PAYPAL_CLIENT_ID"):
        yield
        return
    base = f"http://127.0.0.1:{PAYPAL_FAKE_PORT}"
    webhook_url = f"http://{os.environ.get('ROOT_DOMAIN', 'localhost')}:{PORT}/paypal/webhook/"
    fake = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "paypal_fake",
            "--host",
            "127.0.0.1",
            "--port",
            PAYPAL_FAKE_PORT,
            "--client-id",
            PAYPAL_FAKE_CLIENT_ID,
            "--client-secret",
            PAYPAL_FAKE_CLIENT_SECRET,
            "--webhook-url",
            webhook_url,
            "--webhook-id",
            PAYPAL_FAKE_WEBHOOK_ID,
        ],
        env=_env("config.settings.local"),
        cwd=ROOT,
    )
    try:
        _wait_listening(fake, int(PAYPAL_FAKE_PORT), f"the fake PayPal API on {base}")
        os.environ.update(
            PAYPAL_CLIENT_ID=PAYPAL_FAKE_CLIENT_ID,
            PAYPAL_CLIENT_SECRET=PAYPAL_FAKE_CLIENT_SECRET,
            PAYPAL_API_BASE=base,
            PAYPAL_WEBHOOK_ID=PAYPAL_FAKE_WEBHOOK_ID,
        )
        print(f"PayPal: the local fake on {base} (webhooks to {webhook_url})", flush=True)
        yield
    finally:
        _stop([fake])


def run() -> int:
    embedded_database = not os.environ.get("DATABASE_URL")
    with _services(), _stripe(), _paypal():
        env = _env("config.settings.local")
        with _pooled(env, embedded_database) as pooled_env:
            return _serve(env, pooled_env)


@contextmanager
def _pooled(env: dict[str, str], embedded_database: bool) -> Iterator[dict[str, str] | None]:
    """``DATABASE_POOLER=transaction make run``: the processes reach the embedded PostgreSQL
    through a PgBouncer in transaction pooling mode (devstack.pgbouncer), as in production;
    migrations go straight to PostgreSQL. A configured DATABASE_URL is used as it is."""
    if env.get("DATABASE_POOLER") != "transaction" or not embedded_database:
        yield None
        return
    from devstack.pgbouncer import start_pgbouncer

    direct = env["DATABASE_URL"]
    bouncer = start_pgbouncer(direct, parent=VAR / "pgbouncer", pool_size=5)
    database = direct.split("?", 1)[0].rsplit("/", 1)[-1] or "postgres"
    print(f"PostgreSQL through PgBouncer (transaction pooling) on 127.0.0.1:{bouncer.port}", flush=True)
    try:
        yield {**env, "DATABASE_URL": bouncer.url(database)}
    finally:
        bouncer.stop()


def _serve(env: dict[str, str], pooled_env: dict[str, str] | None = None) -> int:
    """Prepare the database (directly), then supervise the processes (through the pooler, if any)."""
    try:
        demo = _prepare_database(env if pooled_env is None else {**env, "DATABASE_POOLER": ""})
    except KeyboardInterrupt:
        return 0
    manage = [PYTHON, str(ROOT / "manage.py")]
    celery = [PYTHON, "-m", "celery", "-A", "config"]
    uvicorn = [PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", HOST, "--port", PORT]
    supervisor = Supervisor(
        [
            # --no-proxy-headers: the app decides which proxies to believe (TRUSTED_PROXIES, core.clientip);
            # uvicorn would otherwise rewrite the client address from X-Forwarded-For sent from loopback.
            ("web", [*uvicorn, "--no-access-log", "--no-proxy-headers", "--ws", "websockets"]),
            ("celery worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"]),
            # Clicks from the Redis stream into Postgres (see tracking.ingest).
            ("click drain", [*manage, "tracking_drain"]),
            (
                "celery beat",
                [*celery, "beat", "--loglevel", "INFO", "--schedule", str(VAR / "celerybeat-schedule")],
            ),
        ],
        env=pooled_env or env,
        cwd=ROOT,
    )
    return supervisor.run(on_started=lambda: print(_banner(demo), flush=True))


def _banner(demo: str) -> str:
    """What `make run` serves, on the port it serves it on, and who can sign in."""
    return (
        f"\nServing on http://{HOST}:{PORT} (PORT={PORT}); every URL below and every URL the platform "
        "emits carries this port.\n"
        f"{demo.strip()}\n"
        "Mail the platform sends (sign-in links, invitations, invoices) lands in "
        f"http://{os.environ.get('ROOT_DOMAIN', 'localhost')}:{PORT}/_dev/mail/ (any brand host works too).\n"
        "A process that exits is restarted (with a growing delay). Ctrl-C stops everything.\n"
    )


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def test(pytest_args: Sequence[str]) -> int:
    with _services():
        return _check(_env("config.settings.test"), pytest_args)


def _check(env: dict[str, str], pytest_args: Sequence[str]) -> int:
    venv_bin = os.path.dirname(PYTHON)
    steps: list[tuple[str, list[str]]] = [
        ("ruff check", [f"{venv_bin}/ruff", "check", "."]),
        ("ruff format", [f"{venv_bin}/ruff", "format", "--check", "."]),
        ("mypy", [f"{venv_bin}/mypy", "platform", "tenants", "graphql_schema", "themes", "tools"]),
        # The web app: its types, its generated GraphQL types against schema.graphql, its
        # component tests (Vitest). The browser tests run with pytest (tests/e2e).
        ("frontend typecheck", ["npm", "--prefix", "frontend", "run", "--silent", "typecheck"]),
        ("frontend codegen", ["npm", "--prefix", "frontend", "run", "--silent", "codegen:check"]),
        ("vitest", ["npm", "--prefix", "frontend", "run", "--silent", "test"]),
        ("migrations", [PYTHON, "manage.py", "makemigrations", "--check", "--dry-run"]),
        # The architecture's rules: layers without cycles, the API on top (pyproject, importlinter).
        ("import contracts", [f"{venv_bin}/lint-imports"]),
        ("pytest", [PYTHON, "-m", "pytest", *pytest_args]),
    ]
    failed: list[str] = []
    for name, command in steps:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run(command, env=env, cwd=ROOT).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", flush=True)
        return 1
    return 0


def manage(args: Sequence[str]) -> int:
    with _services():
        env = _env("config.settings.local")
        return subprocess.run([PYTHON, "manage.py", *args], env=env, cwd=ROOT).returncode


def screenshots() -> int:
    """The main pages of both demo brands into var/screenshots/ (in a scratch database)."""
    from devstack.screenshots import run_screenshots

    with _services():
        return run_screenshots(
            _env("config.settings.local"), prepare=_prepare_database, root=ROOT, out=VAR / "screenshots"
        )


def bench() -> int:
    with _services():
        env = _env("config.settings.local")
        for script in sorted((ROOT / "bench").glob("[!_]*.py")):
            print(f"\n=== {script.name} ===", flush=True)
            subprocess.run([PYTHON, str(script)], env=env, cwd=ROOT, check=True)
    return 0


def main(argv: Sequence[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, rest = argv[0], list(argv[1:])
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    if command == "manage":
        return manage(rest)
    if command == "bench":
        return bench()
    if command == "screenshots":
        return screenshots()
    print(f"unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
