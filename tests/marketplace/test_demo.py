"""The demo catalog of `make run`."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.demo import demo_program_ensure
from affiliation.models import Link
from marketplace.demo import demo_marketplace_ensure
from marketplace.models import AffiliationRequest, Category, Product, ProductImage
from tenants.selectors import brand_base_url
from tests.conftest import make_user


def test_the_demo_catalog_is_complete_in_the_brands_currency_and_idempotent(brand_b):
    merchant = make_user(brand_b, role=Role.MERCHANT)
    affiliate = make_user(brand_b, role=Role.AFFILIATE)
    with tenant_context(brand_b):
        demo_program_ensure(
            brand_name=brand_b.name,
            brand_url=brand_base_url(brand_b),
            subdomain=brand_b.subdomain,
            currency=brand_b.currency,
            affiliate_user=affiliate,
        )
        for _ in range(2):
            demo_marketplace_ensure(merchant=merchant, affiliate=affiliate, currency="MAD", language="fr")

        products = list(Product.objects.all())
        assert len(products) == 8
        assert {product.currency for product in products} == {"MAD"}
        assert {product.status for product in products} == {"active"}
        assert Product.objects.filter(is_deal_of_the_day=True).count() == 1
        local = Product.objects.get(latitude__isnull=False)
        assert local.location_address
        assert local.longitude is not None
        assert Category.objects.filter(parent__isnull=False).exists()
        images = ProductImage.objects.all()
        assert images.count() == 16
        assert all(default_storage.exists(image.thumbnail_key) for image in images[:2])
        assert set(AffiliationRequest.objects.values_list("status", flat=True)) == {"approved", "pending"}
        assert Link.objects.filter(offer_ref__startswith="product:").count() == 1
