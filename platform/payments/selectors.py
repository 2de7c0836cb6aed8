"""Reads of payments and invoices for the API: who may see which."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import is_brand_admin
from payments.models import Invoice, Payment, PaymentProvider


def payment_visible_to(user: User, reference: str) -> Payment | None:
    """A payment by reference for its payer or a brand admin; None for anyone else."""
    payment = Payment.objects.select_related("order").filter(reference=str(reference).strip().upper()).first()
    if payment is None or not (payment.payer_id == user.pk or is_brand_admin(user)):
        return None
    return payment


def manual_payments(status: str | None = None) -> QuerySet[Payment]:
    """The brand admins' queue of bank transfers."""
    payments = Payment.objects.select_related("order").filter(provider=PaymentProvider.BANK_TRANSFER)
    return payments.filter(status=status) if status else payments


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    """The user's own invoices (orders, plans, memberships); every invoice for brand admins."""
    invoices = Invoice.objects.select_related("payment")
    return invoices if is_brand_admin(user) else invoices.filter(customer=user)


def invoice_visible_to(user: User, *, number: str = "", invoice_id: int = 0) -> Invoice | None:
    invoices = invoices_visible_to(user)
    if number:
        return invoices.filter(number=number.strip().upper()).first()
    return invoices.filter(pk=invoice_id).first() if invoice_id else None
