"""Payments tasks: each runs in the schema of the brand that enqueued it and is safe to redeliver."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from config.celery import app
from core.emails import send_brand_email
from core.money import quantize
from core.tenancy import tenant_connection
from notifications.services import notify_brand
from payments.models import Invoice
from payments.services.invoices import invoice_pdf_store

logger = logging.getLogger(__name__)

SUBJECTS = {"en": "Your invoice {number} from {brand}", "fr": "Votre facture {number} de {brand}"}
BODIES = {
    "en": "Hello {name},\n\nThank you for your payment of {total} {currency}."
    " Your invoice {number} is attached.\n\n{brand}\n",
    "fr": "Bonjour {name},\n\nMerci pour votre paiement de {total} {currency}."
    " Votre facture {number} est jointe.\n\n{brand}\n",
}


# The task keeps the name it had in ``billing``: messages queued before a deploy still find it.
@app.task(
    name="billing.tasks.invoice_deliver_task", autoretry_for=(OSError,), max_retries=5, retry_backoff=True
)
def invoice_deliver_task(invoice_id: int) -> None:
    """Render the invoice PDF in the brand's theme, store it at ``<schema>/invoices/<number>.pdf``,
    email it to the customer with the PDF attached, and tell the brand's messaging channels.

    ``emailed_at`` records a send that happened: it is written after the provider accepted the
    message, in the transaction that holds the invoice row locked while sending. A second worker
    (a redelivered message) waits on that lock, then sees ``emailed_at`` and does not resend; a
    failed send (any exception, or a worker lost mid-send) rolls back and leaves it empty, so the
    retry sends. The one duplicate left possible is a crash between the provider's acceptance
    and the commit: an invoice emailed twice beats an invoice never emailed.
    """
    invoice = Invoice.objects.select_related("payment").filter(pk=invoice_id).first()
    if invoice is None:
        return
    pdf = invoice_pdf_store(invoice)
    tenant = tenant_connection().tenant
    _invoice_send_by_messaging(invoice, pdf, tenant.name)
    if not invoice.customer_email:
        return
    language = tenant.language if tenant.language in SUBJECTS else "en"
    values = {
        "name": invoice.customer_name or invoice.customer_email,
        "number": invoice.number,
        "brand": tenant.name,
        "total": quantize(invoice.total, invoice.currency),
        "currency": invoice.currency,
    }
    filename = f"{invoice.number}.pdf"
    with transaction.atomic():
        unsent = Invoice.objects.select_for_update().filter(pk=invoice.pk, emailed_at__isnull=True).exists()
        if not unsent:
            return
        send_brand_email(
            to=[invoice.customer_email],
            subject=SUBJECTS[language].format(**values),
            text=BODIES[language].format(**values),
            attachments=[(filename, pdf, "application/pdf")],
        )
        Invoice.objects.filter(pk=invoice.pk).update(emailed_at=timezone.now())
    notify_brand(
        "invoice.created",
        f"Invoice {invoice.number}: {values['total']} {invoice.currency} to {values['name']}.",
        document=(filename, pdf, "application/pdf"),
    )


def _invoice_send_by_messaging(invoice: Invoice, pdf: bytes, brand: str) -> None:
    """To the Telegram chat the customer chose at checkout, if they linked it (notifications)."""
    from notifications.telegram import invoice_send_by_messaging

    payment = invoice.payment
    total = quantize(invoice.total, invoice.currency)
    invoice_send_by_messaging(
        contact_channel=payment.payer_contact_channel,
        contact=payment.payer_contact,
        payer_id=payment.payer_id,
        key=f"invoice:{invoice.number}",
        text=f"{brand}: invoice {invoice.number}, {total} {invoice.currency}.",
        document=(f"{invoice.number}.pdf", pdf, "application/pdf"),
    )
