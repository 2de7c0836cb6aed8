"""Keys outside Postgres carry the brand: cache, rate-limit buckets, channel groups, files."""

from __future__ import annotations

import boto3
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_redis import get_redis_connection
from django_tenants.utils import tenant_context

from core.events import group_name
from core.ratelimit import rate_limit_hit, rate_limit_peek


def test_a_cache_entry_of_brand_a_is_invisible_to_brand_b(brand_a, brand_b):
    with tenant_context(brand_a):
        cache.set("greeting", "hello from a", 30)
    with tenant_context(brand_b):
        assert cache.get("greeting") is None
        cache.set("greeting", "hello from b", 30)
    with tenant_context(brand_a):
        assert cache.get("greeting") == "hello from a"

    raw_keys = [key.decode() for key in get_redis_connection("default").keys("*greeting*")]
    assert any(brand_a.schema_name in key for key in raw_keys)
    assert any(brand_b.schema_name in key for key in raw_keys)


def test_rate_limit_buckets_are_per_brand(brand_a, brand_b):
    with tenant_context(brand_a):
        for _ in range(3):
            rate_limit_hit("bucket-test", limit=3, window_seconds=60)
        assert rate_limit_peek("bucket-test", limit=3, window_seconds=60).is_exceeded
    with tenant_context(brand_b):
        assert rate_limit_peek("bucket-test", limit=3, window_seconds=60).count == 0


def test_channel_groups_are_named_per_brand(brand_a, brand_b):
    assert group_name(brand_a.schema_name, "brand") != group_name(brand_b.schema_name, "brand")
    assert group_name(brand_a.schema_name, "brand").startswith(brand_a.schema_name + ".")


def _bucket_keys() -> list[str]:
    s3 = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    return [
        item["Key"]
        for item in s3.list_objects_v2(Bucket=settings.AWS_STORAGE_BUCKET_NAME).get("Contents", [])
    ]


def test_files_of_brand_a_are_stored_under_its_schema_and_invisible_to_brand_b(brand_a, brand_b):
    with tenant_context(brand_a):
        name = default_storage.save("docs/contract.txt", ContentFile(b"alpha only"))
        url = default_storage.url(name)
    with tenant_context(brand_b):
        assert not default_storage.exists(name)
        with pytest.raises(FileNotFoundError):
            default_storage.open(name).read()
        with pytest.raises(SuspiciousOperation):
            default_storage.open(f"../{brand_a.schema_name}/{name}")
        default_storage.save("docs/contract.txt", ContentFile(b"beta's own"))
    with tenant_context(brand_a):
        assert default_storage.open(name).read() == b"alpha only"

    keys = _bucket_keys()
    assert f"{brand_a.schema_name}/{name}" in keys
    assert f"{brand_b.schema_name}/docs/contract.txt" in keys
    assert f"/{brand_a.schema_name}/docs/" in url
    assert "X-Amz-Signature" in url or "Signature" in url  # private: reached by a signed link
