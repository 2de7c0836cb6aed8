"""Invoice emails: ``emailed_at`` records a send that happened. A failed send leaves it empty so a
retry (or a redelivered message) sends; once sent, another run does not send again."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
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


class ProviderDown(Exception):
    """What an email provider's client raises (not an OSError: Anymail's errors are not)."""


class FlakyBackend(EmailBackend):
    """The locmem backend behind a provider that fails while ``failures`` is positive."""

    failures = 0
    error: type[BaseException] = ProviderDown

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise FlakyBackend.error("the provider is down")
        return super().send_messages(email_messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    yield FlakyBackend
    FlakyBackend.failures = 0
    FlakyBackend.error = ProviderDown


def _invoice(brand) -> Invoice:
    fee_plan()
    bank_details(invoice_prefix="RT")
    customer = make_user(brand, role=Role.CUSTOMER)
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    result = bank_checkout(customer, [(make_product(make_merchant(brand), price=Decimal("15.00")), 1)])
    payment = pay_by_bank(result, admin)
    mail.outbox.clear()
    return Invoice.objects.get(payment=payment)


def _invoice_emails(invoice: Invoice) -> list:  # type: ignore[type-arg]
    return [m for m in mail.outbox if invoice.number in m.subject]


@pytest.mark.parametrize("error", [ProviderDown, ConnectionRefusedError])
def test_a_failed_send_is_not_recorded_and_the_retry_sends_once(brand_a, flaky_mail, error):
    flaky_mail.error = error
    with tenant_context(brand_a):
        invoice = _invoice(brand_a)
        flaky_mail.failures = 1

        with pytest.raises(error):
            invoice_deliver_task.run(invoice.pk)

        invoice.refresh_from_db()
        assert invoice.emailed_at is None
        assert _invoice_emails(invoice) == []

        invoice_deliver_task.run(invoice.pk)  # the retry
        invoice.refresh_from_db()
        assert invoice.emailed_at is not None
        assert len(_invoice_emails(invoice)) == 1

        invoice_deliver_task.run(invoice.pk)  # a redelivered message after the success
        assert len(_invoice_emails(invoice)) == 1


def test_a_sent_invoice_is_marked_only_after_the_send(brand_a, flaky_mail):
    """While the provider is sending, the row does not yet claim the email went out."""
    seen: list[object] = []

    class Watching(FlakyBackend):
        def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
            seen.append(Invoice.objects.get(pk=invoice.pk).emailed_at)
            return super().send_messages(email_messages)

    globals()["Watching"] = Watching
    with tenant_context(brand_a):
        invoice = _invoice(brand_a)
        from django.conf import settings

        settings.EMAIL_BACKEND = f"{__name__}.Watching"
        invoice_deliver_task.run(invoice.pk)
        invoice.refresh_from_db()

    assert seen == [None]
    assert invoice.emailed_at is not None
