"""Invoice PDFs on local disk (development, `make run` without S3): ``downloadUrl`` is a signed,
expiring link on the brand's host that serves the PDF to its owner or a brand admin only, and
to nobody on another brand's host."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from django_tenants.utils import tenant_context

from accounts.models import Role
from payments.models import Invoice
from payments.services.invoices import invoice_download_url
from payments.tasks import invoice_deliver_task
from tests.checkout.builders import (
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import domain_of, make_user

pytestmark = pytest.mark.live

INVOICE = "query($n: String!) { invoice(number: $n) { number downloadUrl } }"


@pytest.fixture
def local_disk(tmp_path):
    storages = {**settings.STORAGES, "default": {"BACKEND": "core.storage.TenantFileSystemStorage"}}
    with override_settings(STORAGES=storages, MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


@pytest.fixture
def invoiced(live_brands, local_disk):
    brand, _ = live_brands
    return _invoice(brand)


def _invoice(brand):
    """A paid order's invoice, its PDF rendered and stored; with its customer and a brand admin."""
    customer = make_user(brand, role=Role.CUSTOMER)
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    merchant = make_merchant(brand)
    with tenant_context(brand):
        fee_plan()
        bank_details(invoice_prefix="LD")
        result = bank_checkout(customer, [(make_product(merchant, price=Decimal("15.00")), 1)])
        invoice = Invoice.objects.get(payment=pay_by_bank(result, admin))
        invoice_deliver_task.run(invoice.pk)
        invoice.refresh_from_db()
    return invoice, customer, admin


def test_the_owner_and_an_admin_download_the_pdf_others_do_not(live_brands, live_client, invoiced):
    brand, _ = live_brands
    invoice, customer, admin = invoiced
    owner = live_client(brand)
    owner.login(customer.email)

    answer = owner.post(INVOICE, {"n": invoice.number}, headers={"X-CSRFToken": owner.csrf_token()})
    assert "data" in answer.json(), answer.text
    url = answer.json()["data"]["invoice"]["downloadUrl"]

    assert url.startswith(f"/invoices/{invoice.number}.pdf?")
    assert "/media/" not in url
    pdf = owner.http.get(url)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    brand_admin = live_client(brand)
    brand_admin.login(admin.email)
    assert brand_admin.http.get(url).status_code == 200

    stranger = live_client(brand)
    stranger.login(make_user(brand, role=Role.CUSTOMER).email)
    assert stranger.http.get(url).status_code == 404
    assert live_client(brand).http.get(url).status_code == 404  # anonymous
    assert owner.http.get(url.replace("token=", "token=x")).status_code == 404
    unsigned = owner.http.get(f"/invoices/{invoice.number}.pdf")
    assert unsigned.status_code == 404


def test_the_link_expires(live_brands, live_client, invoiced):
    brand, _ = live_brands
    invoice, customer, _ = invoiced
    owner = live_client(brand)
    owner.login(customer.email)
    with tenant_context(brand):
        url = invoice_download_url(invoice, seconds=3)
    assert owner.http.get(url).status_code == 200

    time.sleep(4.1)  # past its expiry (the token holds whole seconds)

    expired = owner.http.get(url)
    assert expired.status_code == 403
    assert "expired" in expired.text


def test_a_brands_link_does_not_work_on_another_brands_host(live_brands, live_client, invoiced):
    brand, other = live_brands
    invoice, _, _ = invoiced
    # Brand B has an invoice of the same number, and its admin is signed in on B's host.
    twin, _, other_admin = _invoice(other)
    assert twin.number == invoice.number
    with tenant_context(brand):
        url = invoice_download_url(invoice)
    on_other = live_client(other)
    on_other.login(other_admin.email)

    answer = on_other.http.get(url)

    assert answer.status_code == 404
    assert domain_of(other) != domain_of(brand)
    with tenant_context(other):
        assert on_other.http.get(invoice_download_url(twin)).status_code == 200  # B's own link works
