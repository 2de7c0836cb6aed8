"""The web app's pages are per brand: a brand's page shows its own name, theme and users only,
and a session of one brand is nobody on another brand's host."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Role
from tests.conftest import domain_of, make_user
from tests.webapp.conftest import fake_build
from themes import get_theme


@pytest.fixture
def built_app(tmp_path, settings) -> Path:
    settings.WEBAPP_DIST_DIR = fake_build(tmp_path)
    return tmp_path


def _boot(client: Client, host: str) -> tuple[str, dict]:
    html = client.get("/dashboard", HTTP_HOST=host).content.decode()
    match = re.search(r'<script id="boot-data" type="application/json"[^>]*>(.*?)</script>', html, re.S)
    assert match
    return html, json.loads(match.group(1))["data"]


def test_each_brand_page_carries_its_own_brand_only(client, brand_a, brand_b, built_app):
    html_a, boot_a = _boot(client, domain_of(brand_a))
    html_b, boot_b = _boot(client, domain_of(brand_b))

    assert boot_a["brand"]["name"] == brand_a.name
    assert boot_b["brand"]["name"] == brand_b.name
    assert brand_b.name not in html_a
    assert brand_a.name not in html_b
    assert f"--color-primary:{get_theme(brand_a.theme)['colors']['primary']}" in html_a
    assert f"--color-primary:{get_theme(brand_b.theme)['colors']['primary']}" in html_b
    assert get_theme(brand_b.theme)["colors"]["primary"] not in html_a


def test_a_session_of_one_brand_is_nobody_on_another(client, brand_a, brand_b, built_app):
    user = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        client.force_login(user)

    _, on_a = _boot(client, domain_of(brand_a))
    html_b, on_b = _boot(client, domain_of(brand_b))

    assert on_a["me"]["email"] == user.email
    assert on_b["me"] is None
    assert user.email not in html_b


def test_the_root_domain_page_names_no_brand(client, public_tenant, brand_a, brand_b, built_app):
    html, boot = _boot(client, domain_of(public_tenant))

    assert boot == {"brand": None, "me": None}
    assert brand_a.name not in html
    assert brand_b.name not in html
