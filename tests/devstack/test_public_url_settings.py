"""Where the scheme and port of emitted URLs come from: PUBLIC_URL, else PUBLIC_URL_SCHEME /
PUBLIC_URL_PORT, else the environment's defaults (development: the PORT the server listens on)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import public_url_parts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("PUBLIC_URL", "PUBLIC_URL_SCHEME", "PUBLIC_URL_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _local_settings(**env: str) -> str:
    """PUBLIC_URL_SCHEME and PUBLIC_URL_PORT as config.settings.local computes them."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PUBLIC_URL") and k != "PORT"}
    code = "from config.settings import local; print(local.PUBLIC_URL_SCHEME, repr(local.PUBLIC_URL_PORT))"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_development_urls_carry_the_port_of_the_server():
    assert _local_settings(PORT="8123") == "http '8123'"
    assert _local_settings() == "http '8000'"


def test_public_url_overrides_scheme_and_port(clean_env):
    clean_env.setenv("PUBLIC_URL", "https://partners.example.com")
    assert public_url_parts(default_scheme="http", default_port="8123") == ("https", "")
    clean_env.setenv("PUBLIC_URL", "http://partners.example.com:8443/")
    assert public_url_parts(default_scheme="https", default_port="") == ("http", "8443")


def test_explicit_scheme_and_port_and_default_ports_left_out(clean_env):
    clean_env.setenv("PUBLIC_URL_PORT", "")
    assert public_url_parts(default_scheme="http", default_port="8123") == ("http", "")
    clean_env.setenv("PUBLIC_URL_PORT", "443")
    clean_env.setenv("PUBLIC_URL_SCHEME", "https")
    assert public_url_parts(default_scheme="http", default_port="8123") == ("https", "")


def test_a_malformed_public_url_is_refused(clean_env):
    clean_env.setenv("PUBLIC_URL", "partners.example.com")
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        public_url_parts(default_scheme="https", default_port="")
