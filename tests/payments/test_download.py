"""Invoice PDFs: stored under the brand's prefix, downloaded through a presigned link that works,
expires, and cannot be bent towards another brand's key."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django_tenants.utils import tenant_context

from accounts.models import Role
from payments.models import Invoice
from payments.tasks import invoice_deliver_task
from tests.checkout.builders import (
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import make_user
from tests.payments.s3_gateway import fetch, s3_gateway

INVOICE = "query($n: String!) { invoice(number: $n) { number downloadUrl } }"


@pytest.fixture
def gateway(s3_server):
    with s3_gateway(s3_server, django_settings.AWS_SECRET_ACCESS_KEY) as url:
        yield url


@pytest.fixture
def invoiced(brand_a):
    """A paid order of brand A, its invoice rendered and stored."""
    with tenant_context(brand_a):
        fee_plan()
        bank_details(invoice_prefix="DL")
        customer = make_user(brand_a, role=Role.CUSTOMER)
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        result = bank_checkout(customer, [(make_product(make_merchant(brand_a), price=Decimal("15.00")), 1)])
        payment = pay_by_bank(result, admin)
        invoice = Invoice.objects.get(payment=payment)
        invoice_deliver_task.run(invoice.pk)
        invoice.refresh_from_db()
    return invoice, customer


def test_the_link_works_then_expires(gql, brand_a, invoiced, gateway, settings):
    invoice, customer = invoiced
    client = gql(brand_a, customer)

    url = client.data(INVOICE, {"n": invoice.number})["invoice"]["downloadUrl"]
    assert f"/{brand_a.schema_name}/invoices/{invoice.number}.pdf?" in url
    assert "X-Amz-Expires=300" in url
    ok = fetch(gateway, url)
    assert ok.status_code == 200
    assert ok.content.startswith(b"%PDF")

    # X-Amz-Date has whole seconds: a link may lose up to one of its seconds at signing, so the
    # short link keeps a margin for a loaded machine.
    settings.INVOICE_LINK_SECONDS = 4
    short = client.data(INVOICE, {"n": invoice.number})["invoice"]["downloadUrl"]
    assert "X-Amz-Expires=4&" in short
    assert fetch(gateway, short).status_code == 200
    time.sleep(5.2)
    expired = fetch(gateway, short)
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code>" in expired.content
    assert b"Request has expired" in expired.content


def test_a_link_bent_to_another_key_is_refused(gql, brand_a, brand_b, invoiced, gateway):
    invoice, customer = invoiced
    url = gql(brand_a, customer).data(INVOICE, {"n": invoice.number})["invoice"]["downloadUrl"]

    bent = url.replace(f"/{brand_a.schema_name}/", f"/{brand_b.schema_name}/")
    answer = fetch(gateway, bent)

    assert answer.status_code == 403
    assert b"SignatureDoesNotMatch" in answer.content
