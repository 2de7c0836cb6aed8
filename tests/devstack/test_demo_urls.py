"""The demo data follows the port of the latest `make run`: a clone first started on :8000 and
then with ``PORT=8123`` has no :8000 landing page or link target left."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.demo import demo_program_ensure
from affiliation.models import Affiliate, Link, Program
from affiliation.services import link_create
from tests.conftest import domain_of, make_user


def test_a_second_provisioning_on_another_port_moves_the_demo_urls_to_it(brand_b):
    affiliate_user = make_user(brand_b, role=Role.AFFILIATE)
    host = domain_of(brand_b)

    def provision(port: int) -> Program:
        return demo_program_ensure(
            brand_name=brand_b.name,
            brand_url=f"http://{host}:{port}",
            subdomain=brand_b.subdomain,
            currency=brand_b.currency,
            affiliate_user=affiliate_user,
        )

    with tenant_context(brand_b):
        program = provision(8000)
        member = Affiliate.objects.get(user=affiliate_user)
        outside = link_create(affiliate=member, target_url="https://shop.example.com/spa")

        provision(8123)

        program.refresh_from_db()
        assert program.landing_url == f"http://{host}:8123/"
        targets = set(Link.objects.exclude(pk=outside.pk).values_list("target_url", flat=True))
        assert targets == {f"http://{host}:8123/"}
        assert Link.objects.get(pk=outside.pk).target_url == "https://shop.example.com/spa"
