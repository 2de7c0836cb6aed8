"""The parsed Terraform (python-hcl2 in var/tools-venv), shared by the infrastructure tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.tools import TERRAFORM_DIR, run, tool

PARSE_SCRIPT = """
import json, pathlib, sys
import hcl2
out = {}
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.tf")):
    with path.open() as handle:
        out[str(path.relative_to(sys.argv[1]))] = hcl2.load(handle)
print(json.dumps(out))
"""


@pytest.fixture(scope="session")
def parsed() -> dict[str, Any]:
    python = tool("python")
    result = run([python, "-c", PARSE_SCRIPT, TERRAFORM_DIR])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
