"""The tools venv: skipped locally when absent, a failure in CI (where `make test` builds it)."""

from __future__ import annotations

import pytest

from tests.infra import tools


def test_a_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tools, "TOOLS_BIN", tmp_path)
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="make tools-venv"):
        tools.tool("checkov")


def test_a_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tools, "TOOLS_BIN", tmp_path)
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="make tools-venv"):
        tools.tool("checkov")
