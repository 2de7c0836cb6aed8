"""Invoices, issued when a payment is confirmed (orders, merchant plans, memberships; Stripe, bank
transfer or free), and the brand's billing settings (seller identity, VAT, numbering, bank).

**Prices include VAT.** A marketplace selling to consumers in Morocco or the EU must show prices
VAT included (EU Price Indication Directive 98/6/EC; Moroccan prices to consumers are TTC), and
what the payer pays is the price. So each line's gross amount is split: VAT = gross * r / (100 + r),
rounded half-up to the currency's minor unit **per line**, net = gross - VAT. The invoice's total
is the sum of the gross amounts (exactly what was paid), its VAT the sum of the lines' VAT, its
subtotal the sum of the nets. Invoice lines are stored and printed net (excluding VAT), as an
invoice shows them; the unit price is the net unit price to four decimals.

**Numbering.** ``PREFIX-YYYYMMDD-NNNN``, per brand (each brand's schema has its own sequence
table) and per day: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on ``InvoiceSequence``,
in the transaction that writes the invoice. Concurrent issuers queue on the day's row, and a
transaction that rolls back takes its number with it: no duplicates, no gaps.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from core.audit import audit_log
from core.money import PRICE_ROUNDING, quantize
from core.storage import TenantFileSystemStorage
from core.tasks import enqueue_on_commit
from core.tenancy import current_schema
from payments.error_codes import InvoiceErrorCode
from payments.models import BillingSettings, Invoice, InvoiceLine, InvoiceSequence, Payment
from payments.purposes import GrossLine, purpose_hooks

PREFIX = re.compile(r"^[A-Z0-9]{2,12}$")
MOROCCAN_RIB = re.compile(r"^[0-9]{24}$")
MAX_VAT_RATE = Decimal(100)


Code = InvoiceErrorCode


# --- settings ------------------------------------------------------------------------------------


def billing_settings() -> BillingSettings:
    """The brand's one settings row, created with defaults on first use."""
    row = BillingSettings.objects.order_by("pk").first()
    if row is not None:
        return row
    row, created = BillingSettings.objects.get_or_create(pk=1)
    if created:
        row.refresh_from_db()  # the defaults as the database stores them (Decimals, not ints)
    return row


# How long a merchant whose plan payment fails keeps the plan (billing.services.lifecycle).
MAX_PLAN_GRACE_DAYS = 60

TEXT_LIMITS = {
    "legal_name": 160,
    "address": 1000,
    "vat_id": 40,
    "legal_mentions": 4000,
    "bank_account_holder": 120,
    "bank_name": 120,
    "bank_instructions": 2000,
}


def billing_settings_update(*, actor: Any, **values: Any) -> BillingSettings:
    """Change the brand's seller identity, VAT rate, invoice prefix and bank details (the fields
    given; every problem reported at once). IBAN and BIC are checked with schwifty (checksums and
    country formats), a Moroccan RIB is 24 digits."""
    errors: dict[str, ValidationError] = {}
    cleaned: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if values.get(name) is not None:
            text = str(values[name]).strip()
            if len(text) > limit:
                errors[name] = ValidationError(f"Keep it under {limit} characters.", code=Code.TOO_LONG)
            cleaned[name] = text
    if values.get("invoice_prefix") is not None:
        prefix = str(values["invoice_prefix"]).strip().upper()
        if not PREFIX.match(prefix):
            errors["invoice_prefix"] = ValidationError(
                "Use 2 to 12 capital letters or digits, e.g. INV or NOVA.", code=Code.INVALID_PREFIX
            )
        cleaned["invoice_prefix"] = prefix
    if values.get("vat_rate") is not None:
        try:
            rate = Decimal(str(values["vat_rate"]))
        except (InvalidOperation, ValueError):
            rate = Decimal(-1)
        if not rate.is_finite() or not 0 <= rate < MAX_VAT_RATE or rate != rate.quantize(Decimal("0.01")):
            errors["vat_rate"] = ValidationError(
                "Give a rate between 0 and 99.99 percent, e.g. 20.", code=Code.INVALID_VAT_RATE
            )
        cleaned["vat_rate"] = rate
    if values.get("bank_iban") is not None:
        raw = str(values["bank_iban"]).strip()
        try:
            cleaned["bank_iban"] = IBAN(raw).compact if raw else ""
        except SchwiftyException:
            errors["bank_iban"] = ValidationError(
                "This IBAN is not valid: check the country code and digits.", code=Code.INVALID_IBAN
            )
    if values.get("bank_bic") is not None:
        raw = str(values["bank_bic"]).strip()
        try:
            cleaned["bank_bic"] = str(BIC(raw)) if raw else ""
        except SchwiftyException:
            errors["bank_bic"] = ValidationError("This BIC is not valid.", code=Code.INVALID_BIC)
    if values.get("bank_rib") is not None:
        rib = re.sub(r"[\s-]", "", str(values["bank_rib"]))
        if rib and not MOROCCAN_RIB.match(rib):
            errors["bank_rib"] = ValidationError("A RIB has 24 digits.", code=Code.INVALID_RIB)
        cleaned["bank_rib"] = rib
    if values.get("plan_grace_days") is not None:
        try:
            days = int(values["plan_grace_days"])
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= MAX_PLAN_GRACE_DAYS:
            errors["plan_grace_days"] = ValidationError(
                f"Between 0 and {MAX_PLAN_GRACE_DAYS} days.", code=Code.INVALID_GRACE_DAYS
            )
        cleaned["plan_grace_days"] = days
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = BillingSettings.objects.select_for_update().get(pk=billing_settings().pk)
        changed = {name: value for name, value in cleaned.items() if getattr(row, name) != value}
        for name, value in changed.items():
            setattr(row, name, value)
        row.save()
        audit_log(
            actor=actor,
            action="billing_settings.updated",
            target=row,
            fields=sorted(changed),
        )
    return row


# --- amounts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VatSplit:
    net: Decimal
    vat: Decimal
    gross: Decimal


def vat_split(gross: Decimal, rate: Decimal, currency: str) -> VatSplit:
    """A VAT-inclusive amount split into net and VAT, the VAT rounded half-up to the minor unit."""
    vat = quantize(gross * rate / (100 + rate), currency, PRICE_ROUNDING) if rate else Decimal(0)
    return VatSplit(net=gross - vat, vat=vat, gross=gross)


def _gross_lines(payment: Payment) -> list[GrossLine]:
    """What the payment paid for, at the prices paid (VAT included), as its subject's app
    describes it (``payments.purposes``)."""
    return purpose_hooks(payment.purpose).invoice_lines(payment)


# --- numbering -----------------------------------------------------------------------------------


def invoice_number_next(prefix: str, day: dt.date) -> str:
    """The next number of ``prefix`` on ``day``, taken in the caller's transaction."""
    table = connection.ops.quote_name(InvoiceSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, day, last_number) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (prefix, day) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [prefix, day],
        )
        (number,) = cursor.fetchone()
    return f"{prefix}-{day:%Y%m%d}-{number:04d}"


# --- issuing -------------------------------------------------------------------------------------


def _seller(row: BillingSettings) -> dict[str, Any]:
    tenant = connection.tenant  # type: ignore[attr-defined]
    return {
        "name": row.legal_name or tenant.name,
        "brand": tenant.name,
        "address": row.address,
        "vat_id": row.vat_id,
    }


def _customer(payment: Payment) -> tuple[str, str]:
    payer = payment.payer
    name = payment.payer_name or (payer.full_name if payer else "")
    email = payment.payer_email or (payer.email if payer else "")
    return (name or email)[:120], email


def invoice_issue(payment: Payment) -> Invoice:
    """The invoice of a confirmed payment, issued once (the payment's row is locked, and a payment
    has at most one invoice); the PDF and the email follow after commit."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).select_related("payer").get(pk=payment.pk)
        existing = Invoice.objects.filter(payment=locked).first()
        if existing is not None:
            return existing
        row = billing_settings()
        now = timezone.now()
        rate = row.vat_rate
        currency = locked.currency
        splits = [(line, vat_split(line.line_total, rate, currency)) for line in _gross_lines(locked)]
        customer_name, customer_email = _customer(locked)
        invoice = Invoice.objects.create(
            number=invoice_number_next(row.invoice_prefix, timezone.localdate(now)),
            payment=locked,
            issued_at=now,
            customer=locked.payer,
            customer_name=customer_name,
            customer_email=customer_email,
            currency=currency,
            subtotal=sum((split.net for _, split in splits), Decimal(0)),
            vat_rate=rate,
            vat_amount=sum((split.vat for _, split in splits), Decimal(0)),
            total=sum((split.gross for _, split in splits), Decimal(0)),
            transaction_id=locked.transaction_id,
            seller=_seller(row),
            legal_mentions=row.legal_mentions,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                description=line.description,
                quantity=line.quantity,
                unit_price=(split.net / line.quantity).quantize(Decimal("0.0001"), PRICE_ROUNDING),
                vat_rate=rate,
                line_total=split.net,
            )
            for line, split in splits
        )
        audit_log(actor=None, action="invoice.issued", target=invoice, payment=locked.reference)
        from payments.tasks import invoice_deliver_task

        enqueue_on_commit(invoice_deliver_task, invoice.pk)
    return invoice


# --- the PDF, its storage and its delivery ---------------------------------------------------------


PAYMENT_METHODS = {
    "en": {"stripe": "Card (Stripe)", "bank_transfer": "Bank transfer", "free": "Free"},
    "fr": {"stripe": "Carte (Stripe)", "bank_transfer": "Virement bancaire", "free": "Gratuit"},
}


def invoice_document(invoice: Invoice) -> Any:
    """The invoice as ``payments.invoice_pdf`` prints it."""
    from payments import invoice_pdf

    tenant = connection.tenant  # type: ignore[attr-defined]
    language = tenant.language if tenant.language in invoice_pdf.LABELS else "en"
    seller = invoice.seller or {}
    lines: Sequence[InvoiceLine] = list(invoice.lines.all())
    return invoice_pdf.InvoiceDocument(
        number=invoice.number,
        issued_at=invoice.issued_at.date(),
        currency=invoice.currency,
        seller=invoice_pdf.InvoiceSeller(
            name=str(seller.get("name") or tenant.name),
            address_lines=tuple(
                line for line in str(seller.get("address") or "").splitlines() if line.strip()
            ),
            vat_id=str(seller.get("vat_id") or ""),
            legal_mentions=invoice.legal_mentions,
        ),
        buyer=invoice_pdf.InvoiceBuyer(
            name=invoice.customer_name or invoice.customer_email, email=invoice.customer_email
        ),
        lines=tuple(
            invoice_pdf.InvoiceLine(
                description=line.description,
                quantity=Decimal(line.quantity),
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                line_total=line.line_total,
            )
            for line in lines
        ),
        subtotal=invoice.subtotal,
        vat_total=invoice.vat_amount,
        total=invoice.total,
        vat_rate=invoice.vat_rate,
        payment_method=PAYMENT_METHODS[language].get(invoice.payment.provider, invoice.payment.provider),
        transaction_id=invoice.transaction_id,
        paid_at=invoice.payment.confirmed_at.date()
        if invoice.payment.confirmed_at
        else invoice.issued_at.date(),
        language=language,
    )


def invoice_pdf_key(invoice: Invoice) -> str:
    """The PDF's name in the brand's storage (stored under ``<schema>/invoices/<number>.pdf``)."""
    return f"invoices/{invoice.number}.pdf"


def invoice_pdf_render(invoice: Invoice) -> bytes:
    from payments.invoice_pdf import render_invoice_pdf
    from themes import brand_theme

    tenant = connection.tenant  # type: ignore[attr-defined]
    return render_invoice_pdf(invoice_document(invoice), brand_theme(tenant))


def invoice_pdf_store(invoice: Invoice) -> bytes:
    """Render and store the PDF (again, if it was lost: rendering is reproducible)."""
    from django.core.files.base import ContentFile

    pdf = invoice_pdf_render(invoice)
    name = default_storage.save(invoice_pdf_key(invoice), ContentFile(pdf))
    if invoice.pdf_key != name:
        Invoice.objects.filter(pk=invoice.pk).update(pdf_key=name)
        invoice.pdf_key = name
    return pdf


INVOICE_LINK_SALT = "billing.invoice-download"  # its name in billing: links already sent stay valid


class InvoiceLinkInvalidError(Exception):
    """Not a link this brand signed for this invoice."""


class InvoiceLinkExpiredError(Exception):
    """A genuine link whose time is up."""


def invoice_download_url(invoice: Invoice, seconds: int | None = None) -> str:
    """A link to the PDF valid ``seconds`` (INVOICE_LINK_SECONDS by default): presigned on S3;
    on local disk (development) a signed path on the brand's host, served by
    ``payments.views.invoice_pdf_view`` (see ``invoice_link_check``)."""
    if not invoice.pdf_key:
        return ""
    expire = seconds or settings.INVOICE_LINK_SECONDS
    if isinstance(default_storage, TenantFileSystemStorage):
        token = signing.dumps(
            {"schema": current_schema(), "number": invoice.number, "expires": int(time.time()) + expire},
            salt=INVOICE_LINK_SALT,
        )
        return f"/invoices/{quote(invoice.number)}.pdf?{urlencode({'token': token})}"
    return str(default_storage.url(invoice.pdf_key, expire=expire))  # type: ignore[call-arg]


def invoice_link_check(*, token: str, number: str, schema_name: str) -> None:
    """Raise unless ``token`` is this brand's signature for invoice ``number`` and still valid.

    The brand's schema is in the signed payload, so a link of brand A opened on brand B's host
    (where an invoice may bear the same number) is refused like a forged one.
    """
    try:
        claims = signing.loads(token, salt=INVOICE_LINK_SALT)
    except signing.BadSignature as error:
        raise InvoiceLinkInvalidError from error
    if not isinstance(claims, dict) or claims.get("schema") != schema_name or claims.get("number") != number:
        raise InvoiceLinkInvalidError
    if int(claims.get("expires", 0)) < time.time():
        raise InvoiceLinkExpiredError
