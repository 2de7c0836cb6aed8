"""The deal marketplace of a brand: merchants list products and deals in categories, customers
buy them (orders with lines, vouchers once paid) and review them, affiliates ask to promote them.

A product is promoted through the affiliate engine: its ``program`` pays the commissions, and
its per-product commission rule is the engine's ``OfferRule`` with ``offer_ref = product.offer_ref``.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from accounts.models import User
from affiliation.models import Affiliate, Program
from core.fields import AmountField, RateField


class MerchantProfile(models.Model):
    """The public face of a merchant (a user with the merchant role)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="merchant_profile")
    display_name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    website = models.URLField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name


class Category(models.Model):
    """A node of the category tree (``parent`` null for a root)."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class Product(models.Model):
    """A product or deal. ``price`` is what the customer pays, ``original_price`` is struck through."""

    merchant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="products")
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=180, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    description_html = models.TextField(blank=True)  # sanitized on write
    currency = models.CharField(max_length=3)
    original_price = AmountField()
    price = AmountField()
    # Derived from the two prices on write (filtering by minimum discount needs it indexed).
    discount_percent = RateField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    highlights = models.JSONField(default=list, blank=True)  # ["…", …]
    included = models.JSONField(default=list, blank=True)  # ["…", …]
    conditions = models.TextField(blank=True)
    how_it_works = models.JSONField(default=list, blank=True)  # ["step", …]
    faq = models.JSONField(default=list, blank=True)  # [{"question", "answer"}, …]
    location_address = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    stock = models.PositiveIntegerField(null=True, blank=True)  # null: unlimited
    min_per_purchase = models.PositiveSmallIntegerField(default=1)
    max_per_purchase = models.PositiveSmallIntegerField(default=10)
    is_featured = models.BooleanField(default=False)
    is_deal_of_the_day = models.BooleanField(default=False)
    categories = models.ManyToManyField(Category, blank=True, related_name="products")
    status = models.CharField(max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT)
    # Why a paused product is paused: "" by its merchant, "plan_downgrade" by the platform when the
    # merchant's plan fell back to Free (unpaused when the plan is restored).
    paused_reason = models.CharField(max_length=20, blank=True, default="")
    affiliation_auto_approve = models.BooleanField(default=False)
    rating_count = models.PositiveIntegerField(default=0)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    sold_count = models.PositiveIntegerField(default=0)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="marketplace_product_search"),
            models.Index(fields=["status", "expires_at"], name="marketplace_product_live"),
            models.Index(fields=["status", "price"], name="marketplace_product_price"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="marketplace_product_price_positive"),
            models.CheckConstraint(
                condition=Q(original_price__gte=models.F("price")), name="marketplace_product_discount"
            ),
            models.CheckConstraint(
                condition=Q(min_per_purchase__gte=1) & Q(max_per_purchase__gte=models.F("min_per_purchase")),
                name="marketplace_product_quantity_bounds",
            ),
            # One deal of the day per brand at a time (the catalog service moves the flag).
            models.UniqueConstraint(
                fields=["is_deal_of_the_day"],
                condition=Q(is_deal_of_the_day=True),
                name="marketplace_one_deal_of_the_day",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def offer_ref(self) -> str:
        """How the affiliate engine names this product (links, conversions, offer rules)."""
        return f"product:{self.pk}"


class ProductImageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ProductImage(models.Model):
    """An image of a product's gallery; files live in the brand's prefix of the storage.

    An upload is ``pending`` while a Celery task decodes it: ``upload_key`` names the original
    as sent, and ``file_key`` / ``thumbnail_key`` the files the task writes (nothing is served
    before it is ``ready``). ``failed`` keeps the reason for the merchant and no file.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=ProductImageStatus.choices, default=ProductImageStatus.PENDING
    )
    upload_key = models.CharField(max_length=300, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=200, blank=True)
    file_key = models.CharField(max_length=300)
    thumbnail_key = models.CharField(max_length=300)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    alt_text = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.file_key


class AffiliationRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class AffiliationRequest(models.Model):
    """An affiliate asks to promote a product; approval lets them link to it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="affiliation_requests")
    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="product_requests")
    message = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=AffiliationRequestStatus.choices, default=AffiliationRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "affiliate"], name="marketplace_request_once"),
        ]

    def __str__(self) -> str:
        return f"{self.affiliate_id} → {self.product_id} ({self.status})"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Awaiting payment"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"  # by the customer, a rejected payment or reservation expiry
    REFUNDED = "refunded", "Refunded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"


class Order(models.Model):
    """A customer's purchase. Stock is reserved when the order is placed and released if it is
    not paid before ``reserved_until``."""

    number = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="orders")
    email = models.EmailField()
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    currency = models.CharField(max_length=3)
    total = AmountField()
    platform_fee = AmountField(default=0)
    refunded_amount = AmountField(default=0)
    payment_provider = models.CharField(max_length=20)
    # The affiliate click cookie at checkout: attribution of the conversion once paid.
    click_id = models.UUIDField(null=True, blank=True)
    coupon_code = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    reserved_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "reserved_until"], name="marketplace_order_expiry")]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    merchant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=160)  # as sold
    unit_price = AmountField()
    quantity = models.PositiveSmallIntegerField()
    line_total = AmountField()
    platform_fee_rate = RateField(default=0)  # the merchant's plan fee at the time of sale
    platform_fee = AmountField(default=0)
    # Refunds of this line so far: its share of the order's refunds, and the units they cover.
    refunded_amount = AmountField(default=0)
    refunded_quantity = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("line_total")),
                name="marketplace_line_refund_bounded",
            ),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=models.F("quantity")),
                name="marketplace_line_refund_units_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"


class OrderRefund(models.Model):
    """One refund of an order (full or partial); ``refund_id`` makes a replayed one a no-op.

    For a card payment ``refund_id`` is Stripe's refund id, so the refund created through the API
    and the ``charge.refunded`` webhook that reports it are the same refund."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(max_length=120)
    amount = AmountField()
    # {line id: units} refunded by this refund, as applied.
    lines = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "refund_id"], name="marketplace_refund_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="marketplace_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_id} of {self.order_id}"


class VoucherStatus(models.TextChoices):
    VALID = "valid", "Valid"
    REDEEMED = "redeemed", "Redeemed"
    VOID = "void", "Void"  # refunded


class Voucher(models.Model):
    """What the customer shows the merchant: one per unit bought."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.VALID)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.code


class Review(models.Model):
    """A verified buyer's rating of a product (one per buyer and product)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reviews")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "author"], name="marketplace_review_once"),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="marketplace_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {self.product_id}"
