"""PgBouncer in the production files: docker-compose.prod.yml puts the five processes behind it
in transaction pooling mode and the release step straight on PostgreSQL; every ECS task runs a
PgBouncer sidecar its process reaches PostgreSQL through; the sidecar's image (Debian's
pgbouncer, configured from the environment at start) really pools in transaction mode and
refuses a wrong password."""

from __future__ import annotations

import ast
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from devstack.pgbouncer import RUN_AS_WHEN_ROOT, pgbouncer_binary
from tests.infra.test_terraform import _one
from tests.infra.tools import ROOT, run, tool

PROCESSES = ["web", "lane", "worker", "beat", "drain"]
PGBOUNCER_DIR = ROOT / "infra" / "docker" / "pgbouncer"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    python = tool("python")  # PyYAML comes with checkov
    result = run(
        [
            python,
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            ROOT / "docker-compose.prod.yml",
        ]
    )
    assert result.returncode == 0, result.stderr
    services: dict[str, Any] = json.loads(result.stdout)["services"]
    return services


def test_compose_processes_go_through_pgbouncer_in_transaction_mode(compose: dict[str, Any]) -> None:
    for process in PROCESSES:
        environment = compose[process]["environment"]
        assert "@pgbouncer:6432/afp" in environment["DATABASE_URL"], process
        assert environment["DATABASE_POOLER"] == "transaction", process
        assert compose[process]["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}, process
    bouncer = compose["pgbouncer"]
    assert bouncer["build"] == "infra/docker/pgbouncer"
    assert bouncer["environment"]["PGBOUNCER_DB_HOST"] == "postgres"
    assert bouncer["environment"]["PGBOUNCER_DB_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert "pg_isready" in bouncer["healthcheck"]["test"]
    assert bouncer["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "ports" not in bouncer  # the internal network only


def test_compose_release_migrates_straight_on_postgres(compose: dict[str, Any]) -> None:
    environment = compose["release"]["environment"]

    assert "@postgres:5432/afp" in environment["DATABASE_URL"]
    assert environment["DATABASE_POOLER"] == ""
    assert "pgbouncer" not in compose["release"]["depends_on"]


def _literal(expression: str, function: str) -> Any:
    """The literal argument of ``${function(<literal>, ...)}`` as python-hcl2 renders it (a
    Python repr of the HCL object)."""
    match = re.match(
        r"\$\{" + function + r"\((?P<literal>[\[{].*[\]}])(?:,[^,]*)?\)\}$", expression, re.DOTALL
    )
    assert match, expression[:200]
    return ast.literal_eval(match["literal"])


def test_every_ecs_task_runs_a_pgbouncer_sidecar_and_the_process_uses_it(parsed: dict[str, Any]) -> None:
    locals_ = {key: value for block in parsed["main.tf"]["locals"] for key, value in block.items()}
    assert _literal(_one(locals_["environment"]), "merge")["DATABASE_POOLER"] == "transaction"
    secrets = _literal(_one(locals_["secrets"]), "merge")
    assert secrets["DATABASE_URL"] == "${module.database.pooled_url_secret_arn}"
    assert secrets["DATABASE_DIRECT_URL"] == "${module.database.database_url_secret_arn}"

    service_module = next(
        body for block in parsed["main.tf"]["module"] for name, body in block.items() if name == "service"
    )
    sidecar = _one(service_module["pgbouncer"])
    assert sidecar["image"] == "${var.pgbouncer_image}"
    assert sidecar["pool_size"] == "${var.pgbouncer_pool_sizes[each.key]}"

    task = next(
        body
        for block in parsed["modules/service/main.tf"]["resource"]
        for name, body in block.get("aws_ecs_task_definition", {}).items()
        if name == "service"
    )
    process, bouncer = _literal(_one(task["container_definitions"]), "jsonencode")
    assert process["name"] == "${var.process}"
    assert process["dependsOn"] == [{"containerName": "pgbouncer", "condition": "HEALTHY"}]
    assert bouncer["name"] == "pgbouncer"
    assert bouncer["essential"] is True
    assert bouncer["readonlyRootFilesystem"] is True
    assert bouncer["user"] == "10002:10002"
    environment = {item["name"]: item["value"] for item in bouncer["environment"]}
    assert environment["PGBOUNCER_LISTEN_ADDR"] == "127.0.0.1"
    assert environment["PGBOUNCER_SERVER_TLS_SSLMODE"] == "require"
    assert [item["name"] for item in bouncer["secrets"]] == ["PGBOUNCER_DB_PASSWORD"]
    assert "pg_isready" in bouncer["healthCheck"]["command"]

    pooled = next(
        body
        for block in parsed["modules/database/main.tf"]["resource"]
        for name, body in block.get("aws_secretsmanager_secret_version", {}).items()
        if name == "pooled_url"
    )
    assert "@127.0.0.1:${var.pooler_port}/afp" in _one(pooled["secret_string"])


def test_hadolint_and_checkov_pass_on_the_pgbouncer_dockerfile() -> None:
    hadolint = tool("hadolint")

    result = run([hadolint, "--failure-threshold", "info", PGBOUNCER_DIR / "Dockerfile"])

    assert result.returncode == 0, result.stdout + result.stderr
    checkov = run(
        [
            tool("checkov"),
            "--file",
            PGBOUNCER_DIR / "Dockerfile",
            "--framework",
            "dockerfile",
            "--compact",
            "--quiet",
            "--skip-download",
        ]
    )
    assert checkov.returncode == 0, checkov.stdout[-4000:]
    assert "Failed checks: 0" in checkov.stdout
    dockerfile = (PGBOUNCER_DIR / "Dockerfile").read_text()
    assert "apt-get install -y --no-install-recommends pgbouncer" in dockerfile
    assert "\nUSER 10002:10002\n" in dockerfile


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server() -> tuple[str, str, str]:
    """(host or socket folder, port, user) of the worktree's PostgreSQL (DATABASE_URL)."""
    from devstack.pgbouncer import _server_target

    host, port, user, _password = _server_target(os.environ["DATABASE_URL"])
    return host, port, user


@pytest.fixture
def bouncer_dir() -> Iterator[Path]:
    """A folder the unprivileged PgBouncer can write (pytest's tmp_path is root's alone)."""
    directory = Path(tempfile.mkdtemp(prefix="afp-pgbouncer-image-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_the_pgbouncer_image_entrypoint_pools_transactions_and_checks_passwords(bouncer_dir: Path) -> None:
    """The image's entry point, run for real with Debian's pgbouncer in front of the test server
    (which trusts its socket: the password here is PgBouncer's client side)."""
    binary = pgbouncer_binary()
    if binary is None:
        pytest.skip("pgbouncer is not installed (`make pgbouncer`)")
    host, server_port, user = _server()
    port = _free_port()
    password = "pa\"ss'word"
    directory = bouncer_dir / "pgbouncer"
    environment = {
        "PATH": f"{Path(binary).parent}:/usr/bin:/bin",
        "PGBOUNCER_DB_HOST": host,
        "PGBOUNCER_DB_PORT": server_port,
        "PGBOUNCER_DB_NAME": "postgres",
        "PGBOUNCER_DB_USER": user,
        "PGBOUNCER_DB_PASSWORD": password,
        "PGBOUNCER_LISTEN_ADDR": "127.0.0.1",
        "PGBOUNCER_PORT": str(port),
        "PGBOUNCER_POOL_SIZE": "2",
        "PGBOUNCER_CONFIG_DIR": str(directory),
    }
    account: dict[str, Any] = {}
    if os.geteuid() == 0:  # PgBouncer refuses root
        runner = next(pwd.getpwnam(name) for name in RUN_AS_WHEN_ROOT if _user_exists(name))
        shutil.chown(bouncer_dir, runner.pw_uid, runner.pw_gid)
        account = {"user": runner.pw_uid, "group": runner.pw_gid, "extra_groups": []}
    process = subprocess.Popen(
        ["sh", str(PGBOUNCER_DIR / "entrypoint.sh")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **account,
    )
    try:
        _wait_for(port, process)
        url = f"host=127.0.0.1 port={port} user={user} dbname=postgres"
        with psycopg.connect(url, password=password, autocommit=True) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
        with psycopg.connect(
            f"host=127.0.0.1 port={port} user={user} dbname=pgbouncer", password=password, autocommit=True
        ) as admin:
            config = {row[0]: row[1] for row in admin.execute("SHOW CONFIG").fetchall()}
        assert config["pool_mode"] == "transaction"
        assert config["auth_type"] == "scram-sha-256"
        assert config["default_pool_size"] == "2"
        with pytest.raises(psycopg.OperationalError, match="authentication failed"):
            psycopg.connect(url, password="wrong", connect_timeout=5).close()
        assert oct((directory / "userlist.txt").stat().st_mode & 0o777) == "0o600"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_the_pgbouncer_entrypoint_refuses_to_start_without_a_password(tmp_path: Path) -> None:
    result = subprocess.run(
        ["sh", str(PGBOUNCER_DIR / "entrypoint.sh")],
        env={
            "PATH": "/usr/bin:/bin",
            "PGBOUNCER_DB_HOST": "db",
            "PGBOUNCER_DB_NAME": "afp",
            "PGBOUNCER_DB_USER": "afp",
            "PGBOUNCER_CONFIG_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "PGBOUNCER_DB_PASSWORD" in result.stderr
    assert not (tmp_path / "pgbouncer.ini").exists()


def test_release_migrates_on_the_direct_url_when_one_is_given(tmp_path: Path) -> None:
    """The image's entry point with a stand-in python that records what each command saw."""
    script = (ROOT / "infra" / "docker" / "entrypoint.sh").read_text().replace("cd /app", f"cd {tmp_path}")
    (tmp_path / "entrypoint.sh").write_text(script)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(
        '#!/bin/sh\necho "$* url=$DATABASE_URL pooler=${DATABASE_POOLER-unset}"\n'
    )
    (bin_dir / "python").chmod(0o755)
    base = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "DATABASE_URL": "postgresql://pooled",
        "DATABASE_POOLER": "transaction",
    }

    direct = subprocess.run(
        ["sh", str(tmp_path / "entrypoint.sh"), "release"],
        env={**base, "DATABASE_DIRECT_URL": "postgresql://direct"},
        capture_output=True,
        text=True,
        check=True,
    )
    plain = subprocess.run(
        ["sh", str(tmp_path / "entrypoint.sh"), "release"],
        env=base,
        capture_output=True,
        text=True,
        check=True,
    )

    lines = direct.stdout.splitlines()
    assert lines[0] == "manage.py migrate_schemas --shared url=postgresql://direct pooler="
    assert all(line.endswith("url=postgresql://direct pooler=") for line in lines)
    assert len(lines) == 4
    assert plain.stdout.splitlines()[0].endswith("url=postgresql://pooled pooler=transaction")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                pytest.fail(f"pgbouncer did not start: {output}")
            time.sleep(0.05)
