"""Reads of the affiliate engine: programs, memberships, links, commissions. Stats that count
clicks (links' and affiliates' counters, the leaderboard) are analytics' (``analytics.
affiliate_stats``, ``analytics.leaderboard``): they read the one click rollup."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import Role, User
from affiliation.models import (
    Affiliate,
    Commission,
    Conversion,
    Link,
    Program,
)
from ledger.owners import Owner
from ledger.selectors import Balance, owner_balance

ZERO = Decimal(0)


def programs_visible_to(user: User | None) -> QuerySet[Program]:
    """Active programs for everyone; every program for brand admins."""
    programs = Program.objects.prefetch_related("tiers").order_by("id")
    if user is not None and getattr(user, "role", None) == Role.BRAND_ADMIN:
        return programs
    return programs.filter(is_active=True)


def memberships_of(user: User) -> QuerySet[Affiliate]:
    return Affiliate.objects.select_related("program", "tier").filter(user=user).order_by("id")


def affiliate_balance(affiliate: Affiliate) -> Balance:
    """The affiliate's balances in the program's currency, from the ledger."""
    return owner_balance(owner=Owner.affiliate(affiliate.pk), currency=affiliate.program.currency)


def membership(user: User, program_id: int) -> Affiliate | None:
    return memberships_of(user).filter(program_id=program_id).first()


def affiliate_user_ids(affiliate_ids: Iterable[int]) -> dict[int, int]:
    """The user of each membership (affiliate id -> user id), in one query."""
    rows = Affiliate.objects.filter(pk__in=list(affiliate_ids)).values_list("pk", "user_id")
    return dict(rows)


def conversion_merchant_id(conversion_id: int) -> int | None:
    """The merchant a sale was recorded for; None for brand-wide sales."""
    return Conversion.objects.filter(pk=conversion_id).values_list("merchant_id", flat=True).first()


def links_of(user: User, *, program_id: int | None = None, include_archived: bool = False) -> QuerySet[Link]:
    links = Link.objects.filter(affiliate__user=user)
    if program_id is not None:
        links = links.filter(program_id=program_id)
    if not include_archived:
        links = links.filter(archived_at__isnull=True)
    return links


def commissions_of(
    user: User, *, status: str | None = None, program_id: int | None = None
) -> QuerySet[Commission]:
    commissions = Commission.objects.select_related("conversion").filter(beneficiary__user=user)
    if status:
        commissions = commissions.filter(status=status)
    if program_id is not None:
        commissions = commissions.filter(program_id=program_id)
    return commissions
