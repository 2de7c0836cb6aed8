"""The invoice task paints the PDF and the email in the brand's theme with its overrides."""

from __future__ import annotations

from decimal import Decimal

from django.core import mail
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
from tests.payments.test_invoice_pdf import _has_fill, read_pdf
from themes import get_theme

OVERRIDE = "#7c2d12"


def _deliver(brand) -> None:
    with tenant_context(brand):
        fee_plan()
        bank_details(invoice_prefix="TH")
        customer = make_user(brand, role=Role.CUSTOMER)
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        result = bank_checkout(customer, [(make_product(make_merchant(brand), price=Decimal("15.00")), 1)])
        payment = pay_by_bank(result, admin)
        mail.outbox.clear()
        invoice_deliver_task.run(Invoice.objects.get(payment=payment).pk)


def test_the_invoice_pdf_and_email_use_the_override_colour(brand_a):
    brand_a.theme_overrides = {"colors": {"primary": OVERRIDE}}
    brand_a.save(update_fields=["theme_overrides"])

    _deliver(brand_a)

    [message] = [m for m in mail.outbox if m.attachments]
    [(_, pdf, mimetype)] = message.attachments
    assert mimetype == "application/pdf"
    read = read_pdf(pdf)
    assert _has_fill(read, OVERRIDE)
    assert not _has_fill(read, get_theme("default")["colors"]["primary"])
    [(html, _)] = message.alternatives
    assert f"background-color:{OVERRIDE}" in html
    assert "Alpha Brand" in html
    assert "attached" in message.body  # the plain-text part stays
