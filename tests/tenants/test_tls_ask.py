"""The reverse proxy's on-demand TLS question: only hosts the platform serves get a certificate."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tenants.models import Tenant
from tests.conftest import domain_of


def _ask(domain: str) -> int:
    # Caddy asks with its own upstream address as the Host.
    return Client(HTTP_HOST="web:8000").get("/internal/tls-ask", {"domain": domain}).status_code


@pytest.mark.django_db
def test_a_brand_domain_and_the_root_domain_may_get_a_certificate(brand_a: Tenant, brand_b: Tenant) -> None:
    assert _ask(domain_of(brand_a)) == 200
    assert _ask(domain_of(brand_b).upper()) == 200
    assert _ask(settings.ROOT_DOMAIN) == 200


@pytest.mark.django_db
def test_an_unknown_host_the_template_and_an_empty_question_get_none() -> None:
    assert _ask("attacker.example.net") == 404
    assert _ask(settings.TENANT_BASE_SCHEMA) == 404
    assert Client(HTTP_HOST="web:8000").get("/internal/tls-ask").status_code == 404
