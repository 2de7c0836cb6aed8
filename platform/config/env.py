"""Reading configuration from the environment (12-factor), with the embedded services as defaults."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def public_url_parts(*, default_scheme: str, default_port: str) -> tuple[str, str]:
    """Scheme and port of every URL the product emits (``<scheme>://<brand domain>[:<port>]``).

    ``PUBLIC_URL`` (production, e.g. ``https://partners.example.com``) gives both; else
    ``PUBLIC_URL_SCHEME`` and ``PUBLIC_URL_PORT``; else the defaults (development: ``http`` and
    the ``PORT`` the server listens on). A scheme's default port (80, 443) is left out.
    """
    public_url = os.environ.get("PUBLIC_URL", "").strip()
    if public_url:
        parsed = urlparse(public_url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ValueError(f"PUBLIC_URL must look like https://partners.example.com, not {public_url!r}")
        scheme, port = parsed.scheme, str(parsed.port or "")
    else:
        scheme = os.environ.get("PUBLIC_URL_SCHEME") or default_scheme
        port = os.environ.get("PUBLIC_URL_PORT", default_port).strip()
    if (scheme, port) in {("http", "80"), ("https", "443")}:
        port = ""
    return scheme, port


# The embedded services' paths are imported only when a URL is unset: devstack (tools/) is a
# development tool, absent from the production image.
def database_url() -> str:
    if url := os.environ.get("DATABASE_URL"):
        return url
    from devstack.services import _postgres_data_dir

    return f"postgresql://postgres:@/postgres?host={_postgres_data_dir()}"


def redis_url() -> str:
    if url := os.environ.get("REDIS_URL"):
        return url
    from devstack.services import redis_socket_path

    return f"unix://{redis_socket_path()}"


def database_settings(url: str) -> dict[str, Any]:
    """Django DATABASES entry from a ``postgresql://user:pass@host:port/name?host=/socket/dir`` URL."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.pop("host", [parsed.hostname or ""])[0]
    options = {key: values[0] for key, values in query.items()}
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    }


def redis_url_for_db(url: str, db: int) -> str:
    """The same Redis server, another logical database (cache, channels and broker stay apart)."""
    if url.startswith("unix://"):
        base = url.split("?", 1)[0]
        return f"{base}?db={db}"
    parsed = urlparse(url)
    return parsed._replace(path=f"/{db}").geturl()


def celery_broker_url(url: str, db: int) -> str:
    """kombu spells a unix-socket Redis ``redis+socket://``."""
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://").split("?", 1)[0] + f"?virtual_host={db}"
    return redis_url_for_db(url, db)
