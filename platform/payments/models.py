"""Money in: payments of orders and of subscription periods (Stripe, bank transfer or free),
their state machine's rows, the invoices issued once a payment is confirmed, the Stripe events
applied to the brand, and the brand's seller identity and bank details.

The tables keep the names they had in ``billing`` (``db_table``): the models moved between apps
in the migrations' state only, so existing brands keep every row (see ``payments/migrations``).
A payment pays for an order (``marketplace``), a merchant plan or a membership (``billing``):
those foreign keys are named by string, so this app imports neither. What a confirmed payment
starts is decided by those apps, subscribed to the ``payment.confirmed`` event.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import User
from core.fields import AmountField, RateField


class PaymentProvider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    FREE = "free", "Free"  # a plan priced 0: nothing to pay


class BillingSettings(models.Model):
    """The brand's seller identity, invoice numbering and bank details (one row per brand)."""

    legal_name = models.CharField(max_length=160, blank=True)
    address = models.TextField(blank=True)
    vat_id = models.CharField(max_length=40, blank=True)
    vat_rate = RateField(default=0)
    invoice_prefix = models.CharField(max_length=12, default="INV")
    legal_mentions = models.TextField(blank=True)
    bank_account_holder = models.CharField(max_length=120, blank=True)
    bank_name = models.CharField(max_length=120, blank=True)
    bank_iban = models.CharField(max_length=34, blank=True)
    bank_bic = models.CharField(max_length=11, blank=True)
    bank_rib = models.CharField(max_length=30, blank=True)  # national account number (e.g. Moroccan RIB)
    bank_instructions = models.TextField(blank=True)
    # Days a merchant keeps their plan's quotas after a plan payment fails (Stripe retries
    # meanwhile); then, still unpaid, they are moved to the Free plan (README "Failed payments").
    plan_grace_days = models.PositiveSmallIntegerField(default=7)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "billing_billingsettings"

    def __str__(self) -> str:
        return self.legal_name or "billing settings"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    TRANSACTION_SUBMITTED = "transaction_submitted", "Transaction submitted"
    VERIFIED = "verified", "Verified"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"


class PaymentPurpose(models.TextChoices):
    ORDER = "order", "Order"
    MERCHANT_PLAN = "merchant_plan", "Merchant plan"
    MEMBERSHIP = "membership", "Membership"


class ContactChannel(models.TextChoices):
    EMAIL = "email", "Email"
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    DISCORD = "discord", "Discord"


class Payment(models.Model):
    """One payment of an order or of a subscription period, by Stripe or by bank transfer.

    Bank transfer: pending → transaction_submitted → verified → confirmed, or rejected.
    Stripe: pending → confirmed (or failed). Confirmation activates what was paid for and
    issues the invoice, exactly once.
    """

    reference = models.CharField(max_length=32, unique=True)  # shown to the payer, quoted on transfers
    provider = models.CharField(max_length=20, choices=PaymentProvider.choices)
    purpose = models.CharField(max_length=20, choices=PaymentPurpose.choices)
    status = models.CharField(max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    order = models.ForeignKey(
        "marketplace.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    merchant_subscription = models.ForeignKey(
        "billing.MerchantSubscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    membership = models.ForeignKey(
        "billing.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # A merchant-plan payment: the plan this period is paid for (a bank transfer for another plan
    # than the current one switches plans only once it is confirmed).
    merchant_plan = models.ForeignKey(
        "billing.MerchantPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount = AmountField()
    currency = models.CharField(max_length=3)
    payer = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    payer_name = models.CharField(max_length=120, blank=True)
    payer_email = models.EmailField(blank=True)
    payer_contact_channel = models.CharField(max_length=10, choices=ContactChannel.choices, blank=True)
    payer_contact = models.CharField(max_length=120, blank=True)
    # Bank transfer: the payer's bank transaction id; Stripe: the payment intent.
    transaction_id = models.CharField(max_length=120, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=80, null=True, blank=True, unique=True)
    stripe_invoice_id = models.CharField(max_length=80, null=True, blank=True, unique=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "billing_payment"
        ordering = ["-id"]
        indexes = [models.Index(fields=["provider", "status"], name="billing_payment_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="billing_payment_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(purpose="order", order__isnull=False)
                    | Q(purpose="merchant_plan", merchant_subscription__isnull=False)
                    | Q(purpose="membership", membership__isnull=False)
                ),
                name="billing_payment_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"


class StripeEvent(models.Model):
    """A Stripe webhook event applied to this brand: stored once, applied once."""

    event_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=80, db_index=True)
    created = models.DateTimeField()  # Stripe's event time, used to order late arrivals
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "billing_stripeevent"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class InvoiceSequence(models.Model):
    """The last number used per prefix and day: gapless numbering under concurrency."""

    prefix = models.CharField(max_length=12)
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "billing_invoicesequence"
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="billing_invoice_sequence_day")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.day:%Y%m%d} #{self.last_number}"


class Invoice(models.Model):
    """Issued when a payment is confirmed; numbered ``PREFIX-YYYYMMDD-NNNN`` per brand."""

    number = models.CharField(max_length=40, unique=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="invoice")
    issued_at = models.DateTimeField()
    customer = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    customer_name = models.CharField(max_length=120, blank=True)
    customer_email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3)
    subtotal = AmountField()
    vat_rate = RateField()
    vat_amount = AmountField()
    total = AmountField()
    transaction_id = models.CharField(max_length=120, blank=True)
    # Seller identity as it was on the day of issue (the brand's settings may change later).
    seller = models.JSONField(default=dict)
    legal_mentions = models.TextField(blank=True)
    pdf_key = models.CharField(max_length=300, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "billing_invoice"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = AmountField()
    vat_rate = RateField()
    line_total = AmountField()

    class Meta:
        db_table = "billing_invoiceline"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description
