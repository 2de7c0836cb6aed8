"""The brand's public social proof: how many affiliates, live deals, sales, and what it has paid
its affiliates. Shown to anonymous visitors of the brand home, so it is read through the cache.

Commissions paid are the sum of withdrawals in status ``paid``, per currency. That is money
that actually left the brand for its affiliates: an approved commission can still be reversed
by a refund and an approved withdrawal can still fail to be sent, so neither is "paid". The
ledger's affiliate ``paid`` accounts hold the same sums (``withdrawal_mark_paid`` moves the
reserved money there in the same transaction that sets the status), but summing them means one
row per affiliate and currency; the withdrawals give the figure straight from the business
record, in one grouped query, and ``ledger_reconcile`` keeps the two in agreement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q, Sum
from django.utils import timezone

from affiliation.models import Affiliate, AffiliateStatus, Conversion, ConversionStatus
from core.money import Money
from marketplace.models import Product, ProductStatus
from payouts.models import WithdrawalRequest, WithdrawalStatus

# The cache goes through django_tenants.cache.make_key (settings CACHES KEY_FUNCTION), so this
# key is the brand's own: another brand's stats live under another key.
CACHE_KEY = "analytics:social-proof:v1"
CACHE_SECONDS = 30
SALES_WINDOW = dt.timedelta(days=30)


@dataclass(frozen=True)
class BrandStats:
    affiliates: int
    active_deals: int
    commissions_paid: tuple[Money, ...]  # one per currency, ordered by currency code
    sales_last_30_days: int


def brand_stats_uncached(*, now: dt.datetime | None = None) -> BrandStats:
    """The current brand's numbers, from the database: four queries, whatever the volume."""
    now = now or timezone.now()
    affiliates = Affiliate.objects.filter(status=AffiliateStatus.APPROVED, program__is_active=True).count()
    active_deals = (
        Product.objects.filter(status=ProductStatus.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .count()
    )
    paid = (
        WithdrawalRequest.objects.filter(status=WithdrawalStatus.PAID)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
        .values_list("currency", "total")
    )
    sales = (
        Conversion.objects.filter(occurred_at__gte=now - SALES_WINDOW, occurred_at__lte=now)
        .exclude(status=ConversionStatus.REVERSED)
        .count()
    )
    return BrandStats(
        affiliates=affiliates,
        active_deals=active_deals,
        commissions_paid=tuple(Money(total, currency) for currency, total in paid),
        sales_last_30_days=sales,
    )


def brand_stats() -> BrandStats:
    """The current brand's numbers, at most ``CACHE_SECONDS`` old: a busy home page reads the
    cache, not Postgres. Must run in the brand's schema (the cache key depends on it)."""
    stats = cache.get(CACHE_KEY)
    if isinstance(stats, BrandStats):
        return stats
    stats = brand_stats_uncached()
    cache.set(CACHE_KEY, stats, CACHE_SECONDS)
    return stats
