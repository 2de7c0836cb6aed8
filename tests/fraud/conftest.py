from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from fraud.config import rules_cache_clear


@pytest.fixture(autouse=True)
def _fresh_rules():
    """Rule settings are cached per process for a few seconds; each test starts from the table."""
    rules_cache_clear()
    yield
    rules_cache_clear()


@pytest.fixture
def in_brand_a(brand_a):
    with tenant_context(brand_a):
        yield brand_a
