"""When a subscription's payments fail: the grace period, the fall back to Free, the recovery.

Stripe's recommendations for subscription lifecycle webhooks (docs "How subscriptions work",
"Smart Retries", "Subscription webhooks"), applied here:

- ``invoice.payment_failed``: tell the customer and send them to update their card (the
  customer portal); the subscription is ``past_due`` while Stripe retries (Smart Retries or the
  account's custom schedule). We record when the run of failures began (``payment_failed_at``).
- Access is kept while Stripe retries, for the brand's grace period (``BillingSettings.
  plan_grace_days``, default 7 days from the first failure): a merchant keeps their plan's
  quotas. Stripe then ends the subscription as the account's settings say: ``unpaid`` (kept,
  invoices stay open, no new attempts) or ``canceled``; either is "revoke access" in Stripe's
  words. We revoke when the grace period is over **and** the payment still has not gone through,
  whatever the status Stripe left (past_due for ever when the account says "leave as past_due",
  unpaid, or canceled by dunning): the grace period is a promise to the merchant, and a merchant
  does not keep a paid plan for ever by never paying. A cancellation that did not follow a failed
  payment (the merchant's own, at period end) ends the plan at once, as before.
- Revoking a merchant plan means the brand's Free plan applies: the merchant's live products
  above the Free quota are paused (never deleted: ``paused_reason="plan_downgrade"``, by the
  marketplace, which hears ``merchant_plan.downgraded``), and the merchant is told.
- ``invoice.paid`` (or the subscription ``active`` again): the failure run is over; a
  downgraded merchant's plan applies again, ``merchant_plan.restored`` unpauses what the
  downgrade paused, and the merchant is told.

A grace period running out is not an event Stripe sends: ``plan_grace_expire`` (beat, hourly)
checks the failing subscriptions of each brand.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing.models import Membership, MerchantSubscription, SubscriptionStatus
from core.audit import audit_log
from core.events import emit

logger = logging.getLogger(__name__)

FAILING_STATUSES = frozenset({SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID})
PAID_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING})
DOWNGRADE_REASON_PAUSED = "plan_downgrade"


def grace_days() -> int:
    from payments.services.invoices import billing_settings

    return int(billing_settings().plan_grace_days)


def grace_until(row: MerchantSubscription | Membership) -> dt.datetime | None:
    """Until when a failing subscription keeps what it gives (None: not failing)."""
    if row.payment_failed_at is None:
        return None
    return row.payment_failed_at + dt.timedelta(days=grace_days())


def in_grace(row: MerchantSubscription | Membership, now: dt.datetime | None = None) -> bool:
    end = grace_until(row)
    return end is not None and (now or timezone.now()) < end


def failure_state_track(row: MerchantSubscription | Membership, *, at: dt.datetime | None = None) -> None:
    """Keep ``payment_failed_at`` in step with the row's status (not saved: the caller saves).
    A failing status starts the run (once); a paid status ends it. A cancellation keeps it, so
    that a subscription canceled by dunning keeps the rest of its grace period."""
    if row.status in FAILING_STATUSES and row.payment_failed_at is None:
        row.payment_failed_at = at or timezone.now()
    elif row.status in PAID_STATUSES:
        row.payment_failed_at = None


def _reason(row: MerchantSubscription) -> str:
    if row.status == SubscriptionStatus.CANCELED:
        return "canceled"
    if row.status == SubscriptionStatus.UNPAID:
        return "unpaid"
    if row.status == SubscriptionStatus.PAST_DUE:
        return "past_due"
    return str(row.status)


def merchant_plan_state_sync(row: MerchantSubscription, *, now: dt.datetime | None = None) -> str:
    """Downgrade a merchant whose paid plan stopped applying, or restore one whose plan applies
    again; once each way (``downgraded_at``). Runs in the caller's transaction, the row locked
    or just saved by it. Returns what happened ("" if nothing)."""
    from billing.services.plans import free_plan, subscription_is_entitled

    if row.plan.price <= 0:
        return ""
    entitled = subscription_is_entitled(row, now)
    if entitled and row.downgraded_at is not None:
        row.downgraded_at = None
        MerchantSubscription.objects.filter(pk=row.pk).update(downgraded_at=None, updated_at=timezone.now())
        _emit_plan_state("merchant_plan.restored", row, row.plan, "paid")
        audit_log(actor=None, action="billing.plan.restored", target=row, plan=row.plan.code)
        return "restored"
    ended = row.status in FAILING_STATUSES or row.status == SubscriptionStatus.CANCELED
    if not entitled and ended and row.downgraded_at is None:
        row.downgraded_at = now or timezone.now()
        MerchantSubscription.objects.filter(pk=row.pk).update(
            downgraded_at=row.downgraded_at, updated_at=timezone.now()
        )
        free = free_plan()
        _emit_plan_state("merchant_plan.downgraded", row, free, _reason(row))
        audit_log(
            actor=None, action="billing.plan.downgraded", target=row, plan=row.plan.code, reason=_reason(row)
        )
        return "downgraded"
    return ""


def _emit_plan_state(name: str, row: MerchantSubscription, applying: Any, reason: str) -> None:
    emit(
        name,
        {
            "subscription_id": row.pk,
            "merchant_id": row.merchant_id,
            "plan_code": row.plan.code,
            "plan_name": row.plan.name,
            "effective_plan_code": applying.code,
            "product_quota": applying.product_quota,
            "reason": reason,
        },
    )


def payment_failure_notify(
    row: MerchantSubscription | Membership, invoice: Mapping[str, Any], *, currency: str, amount: Decimal
) -> None:
    """``subscription.payment_failed`` (the notification centre tells the payer, in the app and
    by email, with a link to the page that opens Stripe's portal to update the card)."""
    is_plan = isinstance(row, MerchantSubscription)
    user_id = row.merchant_id if is_plan else row.member_id  # type: ignore[union-attr]
    emit(
        "subscription.payment_failed",
        {
            "subscription_kind": "merchant_plan" if is_plan else "membership",
            "subscription_id": row.pk,
            "user_id": user_id,
            "plan_name": row.plan.name,
            "amount": str(amount),
            "currency": currency,
            "attempt_count": int(invoice.get("attempt_count") or 1),
            "grace_until": grace_until(row) if is_plan else None,
        },
    )


def plan_grace_expire(now: dt.datetime | None = None) -> int:
    """Downgrade the merchants whose grace period ran out with the payment still failing (beat
    job, per brand). Each row in its own transaction; idempotent (``downgraded_at``)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=grace_days())
    candidates = MerchantSubscription.objects.filter(
        downgraded_at__isnull=True,
        payment_failed_at__lte=cutoff,
        status__in=[*FAILING_STATUSES, SubscriptionStatus.CANCELED],
    ).values_list("pk", flat=True)
    downgraded = 0
    for pk in list(candidates):
        with transaction.atomic():
            row = MerchantSubscription.objects.select_for_update().select_related("plan").get(pk=pk)
            if merchant_plan_state_sync(row, now=now) == "downgraded":
                downgraded += 1
    return downgraded
