"""The development tools are a source root of their own (tools/, never in the image): every process
`make run` / `make test` starts finds the product in platform/ and the tools in tools/ of this
checkout, whatever the venv's .pth file names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devstack.__main__ import _env
from devstack.services import ROOT, SOURCE_ROOTS


def test_the_source_roots_are_platform_tools_and_the_checkout() -> None:
    assert SOURCE_ROOTS == (ROOT / "platform", ROOT / "tools", ROOT)
    assert (ROOT / "manage.py").is_file()
    assert (ROOT / "tools" / "devstack" / "__main__.py").is_file()
    assert not (ROOT / "platform" / "devstack").exists()


def test_children_import_the_product_and_the_tools_of_this_checkout(monkeypatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    env = _env("config.settings.test")
    code = (
        "import config, devstack, devstack.screenshots, stripe_fake; "
        "print(config.__file__, devstack.__file__, stripe_fake.__file__)"
    )

    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd="/", capture_output=True, text=True, check=True
    ).stdout.split()

    assert env["PYTHONPATH"].split(":")[:3] == [str(root) for root in SOURCE_ROOTS]
    assert [Path(path).relative_to(ROOT).as_posix() for path in out] == [
        "platform/config/__init__.py",
        "tools/devstack/__init__.py",
        "tools/stripe_fake/__init__.py",
    ]
