"""Graceful shutdown and metrics, as configured for the processes: uvicorn's grace period is set
and shorter than what compose and ECS wait before SIGKILL; each process type gets its own
Prometheus multiprocess directory; /metrics never reaches the internet through Caddy."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.infra.tools import ROOT, run, tool


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)s", value)
    assert match, value
    return int(match.group(1))


def test_uvicorn_finishes_in_flight_requests_within_the_orchestrators_grace_period() -> None:
    procfile = _procfile()
    for process in ("web", "lane"):
        assert "--timeout-graceful-shutdown ${GRACEFUL_SHUTDOWN_SECONDS:-20}" in procfile[process]
    python = tool("python")  # PyYAML comes with checkov
    result = run(
        [python, "-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
         ROOT / "docker-compose.prod.yml"]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    graceful = int(services["web"]["environment"]["GRACEFUL_SHUTDOWN_SECONDS"])
    for process in ("web", "lane", "drain"):
        assert _seconds(services[process]["stop_grace_period"]) > graceful
    assert _seconds(services["worker"]["stop_grace_period"]) >= 60  # warm shutdown: tasks finish
    for process in ("worker", "drain"):
        assert services[process]["environment"]["METRICS_PORT"]
    terraform = (ROOT / "infra" / "terraform" / "main.tf").read_text()
    assert 'GRACEFUL_SHUTDOWN_SECONDS = "20"' in terraform
    assert 'stop_timeout = each.key == "worker" ? 120 : 30' in terraform


def test_each_process_type_gets_an_emptied_multiprocess_directory(tmp_path: Path) -> None:
    script = (ROOT / "infra" / "docker" / "entrypoint.sh").read_text().replace("cd /app", f"cd {tmp_path}")
    (tmp_path / "entrypoint.sh").write_text(script)
    (tmp_path / "Procfile").write_text(
        'web: echo "$PROMETHEUS_MULTIPROC_DIR"; ls "$PROMETHEUS_MULTIPROC_DIR"\n'
    )
    metrics_dir = tmp_path / "prometheus-web"
    metrics_dir.mkdir()
    (metrics_dir / "counter_123.db").write_text("left by a dead process")

    result = subprocess.run(
        ["sh", str(tmp_path / "entrypoint.sh"), "web"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
    )

    assert result.stdout.splitlines() == [str(metrics_dir)]  # the directory, emptied
    assert "/tmp/prometheus/$1" in script  # the default: one per process type


def test_caddy_keeps_metrics_off_the_internet() -> None:
    caddyfile = (ROOT / "infra" / "docker" / "Caddyfile").read_text()
    assert "@internal path /internal/* /metrics /metrics/" in caddyfile
