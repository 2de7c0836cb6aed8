"""`make run`'s banner: the URLs with the port it serves on, and every demo user the README lists
(brand, role, email, password)."""

from __future__ import annotations

import io

from django.core.management import call_command

from devstack.__main__ import _banner


def test_provision_demo_prints_every_demo_user_and_the_urls_on_the_configured_port(db, settings, s3_server):
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "http", "8123"
    out = io.StringIO()

    call_command("provision_demo", stdout=out)

    text = out.getvalue()
    assert ":8000" not in text
    for url in (
        "http://localhost:8123/",
        "http://nova.localhost:8123/",
        "http://nova.localhost:8123/graphql/",
        "http://aurum.localhost:8123/graphql/",
    ):
        assert url in text
    assert "operator@localhost.test / demo-operator" in text
    for brand in ("nova", "aurum"):
        for role in ("brand-admin", "merchant", "affiliate", "customer", "recruit"):
            assert f"{role}@{brand}.test / demo-{brand}-{role}" in text, (brand, role)


def test_the_banner_carries_the_port_and_the_demo_users(monkeypatch):
    monkeypatch.setattr("devstack.__main__.PORT", "8123")

    banner = _banner("Demo brands and users:\n  Nova Partners  http://nova.localhost:8123/\n")

    assert "http://127.0.0.1:8123" in banner
    assert "Nova Partners  http://nova.localhost:8123/" in banner
    assert "Ctrl-C stops everything" in banner
    assert "http://localhost:8123/_dev/mail/" in banner
