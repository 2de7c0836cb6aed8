"""Statements (monthly, per affiliate and currency) and self-billing invoices: generation,
storage, email, settings. See ``statements.figures`` for what a statement's balance is."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from core.audit import audit_log
from core.errors import field_error
from core.money import PRICE_ROUNDING, quantize
from core.tenancy import current_schema
from payouts.models import WithdrawalRequest, WithdrawalStatus
from statements.error_codes import StatementErrorCode as Code
from statements.figures import StatementFigures, month_bounds, statement_figures, statement_subjects
from statements.identity import BillingIdentity, billing_identity
from statements.models import SelfBillingCounter, SelfBillingInvoice, Statement, StatementSettings

logger = logging.getLogger(__name__)


def _brand() -> Any:
    """The current brand (a real ``Tenant``: event dispatch and tasks run in a bare schema)."""
    tenant = getattr(connection, "tenant", None)
    if tenant is not None and hasattr(tenant, "name"):
        return tenant
    from tenants.models import Tenant

    return Tenant.objects.get(schema_name=current_schema())


def _language() -> str:
    language = getattr(_brand(), "language", "en")
    return language if language in ("en", "fr") else "en"


# --- settings --------------------------------------------------------------------------------


def statement_settings() -> StatementSettings:
    row = StatementSettings.objects.filter(pk=1).first()
    if row is None:
        row, _ = StatementSettings.objects.get_or_create(pk=1)
        row.refresh_from_db()
    return row


def statement_settings_update(
    *, actor: Any, self_billing_enabled: bool | None = None, self_billing_vat_rate: Any = None
) -> StatementSettings:
    with transaction.atomic():
        row = statement_settings()
        row = StatementSettings.objects.select_for_update().get(pk=row.pk)
        if self_billing_vat_rate is not None:
            try:
                rate = Decimal(str(self_billing_vat_rate))
            except InvalidOperation:
                rate = Decimal(-1)
            if (
                not rate.is_finite()
                or not Decimal(0) <= rate <= Decimal(100)
                or rate != rate.quantize(Decimal("0.0001"))
            ):
                raise field_error("selfBillingVatRate", "Give a rate between 0 and 100 %.", Code.INVALID_RATE)
            row.self_billing_vat_rate = rate
        if self_billing_enabled is not None:
            row.self_billing_enabled = bool(self_billing_enabled)
        row.save()
        audit_log(
            actor=actor,
            action="statements.settings_updated",
            target=row,
            self_billing_enabled=row.self_billing_enabled,
            self_billing_vat_rate=str(row.self_billing_vat_rate),
        )
    return row


# --- statements ------------------------------------------------------------------------------


def parse_period(value: str, *, field: str = "period", now: dt.datetime | None = None) -> dt.date:
    """ "2026-11" → 2026-11-01; only months that are over (a statement of a running month would change)."""
    text = str(value).strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError(text)
        period = dt.date(int(text[:4]), int(text[5:]), 1)
    except ValueError as error:
        raise field_error(field, "Give a month as YYYY-MM.", Code.INVALID_PERIOD) from error
    if month_bounds(period)[1] > (now or timezone.now()) or period.year < 2000:
        raise field_error(field, "Statements cover months that are over.", Code.INVALID_PERIOD)
    return period


def statement_key(statement: Statement, extension: str) -> str:
    """Its file in the brand's private storage (``<schema>/statements/...``)."""
    return f"statements/{statement.user_id}/{statement.period:%Y-%m}-{statement.currency}.{extension}"


def _store(key: str, content: bytes) -> str:
    if default_storage.exists(key):
        default_storage.delete(key)
    return default_storage.save(key, ContentFile(content))


def _render(statement: Statement, figures: StatementFigures) -> tuple[bytes, bytes]:
    from statements.documents import render_statement_csv, render_statement_pdf
    from themes import brand_theme

    tenant = _brand()
    language = _language()
    user = statement.user
    pdf = render_statement_pdf(
        figures,
        brand_theme(tenant),
        brand_name=tenant.name,
        affiliate_name=user.full_name or user.email,
        language=language,
        generated_on=month_bounds(statement.period)[1].date(),
    )
    return pdf, render_statement_csv(figures, language=language)


def statement_generate(
    *, user: User, period: dt.date, currency: str, regenerate: bool = False, now: dt.datetime | None = None
) -> Statement:
    """The statement of ``user`` in ``currency`` for the month ``period`` (its first day),
    computed and stored once: asked again it is returned as it is, unless ``regenerate``
    (the same figures, since closed months do not change; new files). Concurrent calls for the
    same statement make one row."""
    if period.day != 1 or month_bounds(period)[1] > (now or timezone.now()):
        raise field_error("period", "Statements cover months that are over.", Code.INVALID_PERIOD)
    with transaction.atomic():
        try:
            with transaction.atomic():
                statement, created = Statement.objects.get_or_create(
                    user=user,
                    period=period,
                    currency=currency,
                    defaults={"opening_balance": 0, "closing_balance": 0, "generated_at": timezone.now()},
                )
        except IntegrityError:
            created = False
        statement = (
            Statement.objects.select_for_update()
            .select_related("user")
            .get(user=user, period=period, currency=currency)
        )
        if not created and statement.pdf_key and not regenerate:
            return statement
        figures = statement_figures(user_id=user.pk, currency=currency, period=period)
        statement.opening_balance = figures.opening
        statement.closing_balance = figures.closing
        statement.figures = figures.as_json()
        pdf, csv = _render(statement, figures)
        statement.pdf_key = _store(statement_key(statement, "pdf"), pdf)
        statement.csv_key = _store(statement_key(statement, "csv"), csv)
        statement.generated_at = timezone.now()
        statement.save()
    return statement


def statement_regenerate(*, actor: Any, user: User, period: str, currency: str) -> Statement:
    """A brand admin's "generate again": a month that is over, in a currency of the affiliate's
    programs (anything else is a field error, never an empty statement)."""
    from affiliation.models import Affiliate

    month = parse_period(period)
    code = str(currency).strip().upper()
    if not Affiliate.objects.filter(user=user, program__currency=code).exists():
        raise field_error("currency", "This affiliate earns in no program of this currency.", Code.INVALID)
    statement = statement_generate(user=user, period=month, currency=code, regenerate=True)
    audit_log(actor=actor, action="statements.regenerated", target=statement, period=period, currency=code)
    return statement


def statements_generate_month(*, period: dt.date, now: dt.datetime | None = None) -> list[Statement]:
    """Every statement of the month (the beat job): one per affiliate and currency with money
    owed at the start of the month or moved in it. Statements already made are kept."""
    users = {
        user.pk: user for user in User.objects.filter(pk__in={uid for uid, _ in statement_subjects(period)})
    }
    return [
        statement_generate(user=users[user_id], period=period, currency=currency, now=now)
        for user_id, currency in statement_subjects(period)
    ]


EMAIL_TEXT = {
    "en": (
        "Your {brand} statement for {period} ({currency})",
        "Hello,\n\nYour statement for {period} is attached (PDF and CSV).\n\n"
        "Opening balance: {opening} {currency}\nClosing balance: {closing} {currency}\n\n"
        "You can also download it from your wallet page.",
    ),
    "fr": (
        "Votre relevé {brand} de {period} ({currency})",
        "Bonjour,\n\nVotre relevé de {period} est joint (PDF et CSV).\n\n"
        "Solde d\u2019ouverture : {opening} {currency}\nSolde de clôture : {closing} {currency}\n\n"
        "Vous pouvez aussi le télécharger depuis votre portefeuille.",
    ),
}


def statement_email(*, statement_id: int) -> bool:
    """Email the statement to its affiliate with the PDF and CSV attached, once (``emailed_at``).
    The row stays locked while sending, so two workers never send it twice; a failed send
    leaves ``emailed_at`` empty for the retry."""
    from core.emails import send_brand_email
    from statements.documents import period_label

    with transaction.atomic():
        statement = (
            Statement.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=statement_id, emailed_at__isnull=True)
            .exclude(pdf_key="")
            .first()
        )
        if statement is None:
            return False
        language = _language()
        with default_storage.open(statement.pdf_key, "rb") as handle:
            pdf = handle.read()
        with default_storage.open(statement.csv_key, "rb") as handle:
            csv = handle.read()
        subject, body = EMAIL_TEXT[language]
        values = {
            "brand": _brand().name,
            "period": period_label(statement.period, language),
            "currency": statement.currency,
            "opening": quantize(statement.opening_balance, statement.currency),
            "closing": quantize(statement.closing_balance, statement.currency),
        }
        name = f"statement-{statement.period:%Y-%m}-{statement.currency}"
        send_brand_email(
            to=[statement.user.email],
            subject=subject.format(**values),
            text=body.format(**values) + "\n",
            attachments=[(f"{name}.pdf", pdf, "application/pdf"), (f"{name}.csv", csv, "text/csv")],
        )
        statement.emailed_at = timezone.now()
        statement.save(update_fields=["emailed_at"])
    return True


# --- self-billing ----------------------------------------------------------------------------

SELF_BILLING_TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "line": "Affiliate commissions paid out (withdrawal #{withdrawal})",
        "mention": "Self-billing invoice: issued by {brand} in the name and on behalf of {affiliate}, "
        "who accepted self-billing.",
        "no_vat": "VAT not applicable: the supplier is not registered for VAT.",
        "vat_included": "The amount paid includes VAT at {rate} %.",
        "method": {"bank_transfer": "Bank transfer", "paypal": "PayPal", "stripe": "Stripe"},
    },
    "fr": {
        "line": "Commissions d\u2019affiliation versées (retrait n° {withdrawal})",
        "mention": "Autofacturation : facture émise par {brand} au nom et pour le compte de {affiliate}, "
        "qui a accepté l\u2019autofacturation.",
        "no_vat": "TVA non applicable : le fournisseur n\u2019est pas assujetti à la TVA.",
        "vat_included": "Le montant versé inclut la TVA au taux de {rate} %.",
        "method": {"bank_transfer": "Virement bancaire", "paypal": "PayPal", "stripe": "Stripe"},
    },
}


def _identity_lines(identity: BillingIdentity) -> tuple[str, ...]:
    lines = list(identity.address_lines)
    if identity.country:
        lines.append(identity.country)
    for label, value in (("ICE", identity.ice), ("IF", identity.if_number), ("RC", identity.rc)):
        if value:
            lines.append(f"{label} {value}")
    return tuple(lines)


def self_billing_number(user_id: int, sequence: int) -> str:
    return f"SB-{user_id}-{sequence:05d}"


def self_billing_issue(*, withdrawal_id: int) -> SelfBillingInvoice | None:
    """The self-billing invoice of a paid withdrawal, once: when the brand enables self-billing
    and the affiliate is a business (``statements.identity``). Numbers follow each other per
    affiliate without gaps: the affiliate's counter row is locked, and the number is taken in
    the transaction that creates the invoice (a failure rolls both back)."""
    settings_row = statement_settings()
    if not settings_row.self_billing_enabled:
        return None
    withdrawal = (
        WithdrawalRequest.objects.select_related("affiliate__user")
        .filter(pk=withdrawal_id, status=WithdrawalStatus.PAID)
        .first()
    )
    if withdrawal is None:
        return None
    user = withdrawal.affiliate.user
    identity = billing_identity(user)
    if identity is None or not identity.is_business:
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                SelfBillingCounter.objects.get_or_create(user=user)
        except IntegrityError:
            pass
        counter = SelfBillingCounter.objects.select_for_update().get(user=user)
        existing = SelfBillingInvoice.objects.filter(withdrawal_id=withdrawal.pk).first()
        if existing is not None:
            return existing
        currency = withdrawal.currency
        total = quantize(withdrawal.amount, currency)
        rate = settings_row.self_billing_vat_rate if identity.vat_registered else Decimal(0)
        vat = quantize(total * rate / (100 + rate), currency, PRICE_ROUNDING) if rate else Decimal(0)
        counter.last_sequence += 1
        counter.save(update_fields=["last_sequence"])
        from payments.services.invoices import billing_settings

        brand = billing_settings()
        tenant = _brand()
        invoice = SelfBillingInvoice.objects.create(
            user=user,
            sequence=counter.last_sequence,
            number=self_billing_number(user.pk, counter.last_sequence),
            withdrawal_id=withdrawal.pk,
            currency=currency,
            subtotal=total - vat,
            vat_rate=rate,
            vat_amount=vat,
            total=total,
            vat_applicable=identity.vat_registered,
            issuer=identity.as_dict(),
            recipient={
                "name": brand.legal_name or tenant.name,
                "address_lines": [line for line in brand.address.splitlines() if line.strip()],
                "vat_id": brand.vat_id,
            },
            issued_at=withdrawal.paid_at or timezone.now(),
        )
        name = default_storage.save(
            f"self-billing/{user.pk}/{invoice.number}.pdf", ContentFile(self_billing_pdf(invoice, withdrawal))
        )
        invoice.pdf_key = name
        invoice.save(update_fields=["pdf_key"])
        audit_log(
            actor=None, action="statements.self_billing_issued", target=invoice, withdrawal=withdrawal.pk
        )
    return invoice


def self_billing_pdf(invoice: SelfBillingInvoice, withdrawal: WithdrawalRequest) -> bytes:
    from payments import invoice_pdf
    from themes import brand_theme

    tenant = _brand()
    language = _language()
    texts = SELF_BILLING_TEXT[language]
    issuer, recipient = invoice.issuer, invoice.recipient
    identity = BillingIdentity(**{**issuer, "address_lines": tuple(issuer.get("address_lines", ()))})
    notes = [texts["mention"].format(brand=recipient["name"], affiliate=identity.name)]
    notes.append(
        texts["vat_included"].format(
            rate=invoice_pdf.Formatter(language, invoice.currency).quantity(invoice.vat_rate)
        )
        if invoice.vat_applicable
        else texts["no_vat"]
    )
    document = invoice_pdf.InvoiceDocument(
        number=invoice.number,
        issued_at=invoice.issued_at.date(),
        currency=invoice.currency,
        seller=invoice_pdf.InvoiceSeller(
            name=identity.name, address_lines=_identity_lines(identity), vat_id=identity.tva
        ),
        buyer=invoice_pdf.InvoiceBuyer(
            name=recipient["name"],
            address_lines=tuple(recipient.get("address_lines", ()))
            + ((f"VAT ID {recipient['vat_id']}",) if recipient.get("vat_id") else ()),
        ),
        lines=(
            invoice_pdf.InvoiceLine(
                description=texts["line"].format(withdrawal=withdrawal.pk),
                quantity=Decimal(1),
                unit_price=invoice.subtotal,
                vat_rate=invoice.vat_rate,
                line_total=invoice.subtotal,
            ),
        ),
        subtotal=invoice.subtotal,
        vat_total=invoice.vat_amount,
        total=invoice.total,
        vat_rate=invoice.vat_rate,
        payment_method=texts["method"].get(withdrawal.method, withdrawal.method),
        transaction_id=withdrawal.payment_reference,
        paid_at=invoice.issued_at.date(),
        notes="\n".join(notes),
        language=language,
    )
    return invoice_pdf.render_invoice_pdf(document, brand_theme(tenant))
