"""Stripe Connect for affiliates: an Express account per user and brand, its onboarding, its
status, and what its withdrawals carry.

1. ``connect_onboarding_start``: the user's connected account is created once (type ``express``,
   ``transfers`` requested, ``metadata.brand``; recorded in ``tenants.StripeObjectRoute`` so the
   Connect endpoint's events find the brand), then an account link is made; its ``url`` is
   Stripe's hosted onboarding. ``refresh_url`` and ``return_url`` are on the brand's host.
2. Stripe's account is the truth: ``connect_account_sync`` reads it back (on ``account.updated``
   and when the user returns) and keeps ``status``: ``verified`` when details are submitted,
   payouts are enabled and the ``transfers`` capability is active; ``restricted`` when details
   were submitted but Stripe disabled something; ``pending`` before that. Reading the account
   rather than the event's copy makes duplicated or reordered ``account.updated`` events harmless.
3. A withdrawal by Stripe carries ``{"account": "acct_…"}``, accepted only from a verified account.
4. ``payout.failed`` on a connected account: the transfer had reached the affiliate's Stripe
   balance and the bank refused Stripe's payout of it. Stripe keeps the money in that balance and
   retries once the affiliate fixes their bank details in Stripe, so the platform moves no money
   (refunding the withdrawal would pay it twice): it records the failure and tells the affiliate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from affiliation.models import Affiliate, AffiliateStatus
from core.audit import audit_log
from core.errors import field_error
from core.events import emit
from core.tenancy import tenant_connection
from payments.stripe_client import (
    brand_metadata,
    from_minor_units,
    plain,
    provider_error,
    request_options,
    stripe_client,
    stripe_is_configured,
    stripe_route_record,
    timestamp,
)
from payouts.error_codes import PayoutErrorCode as Code
from payouts.models import StripeConnectAccount, StripeConnectStatus
from tenants.selectors import brand_base_url

logger = logging.getLogger(__name__)

RETURN_PATH = "/wallet?stripe=return"
REFRESH_PATH = "/wallet?stripe=refresh"


def _brand_url(path: str) -> str:
    return brand_base_url(tenant_connection().tenant) + path


def connect_status(account: Mapping[str, Any]) -> StripeConnectStatus:
    """The platform's view of a Stripe account object."""
    transfers = (account.get("capabilities") or {}).get("transfers")
    if account.get("details_submitted") and account.get("payouts_enabled") and transfers == "active":
        return StripeConnectStatus.VERIFIED
    if account.get("details_submitted"):
        return StripeConnectStatus.RESTRICTED
    return StripeConnectStatus.PENDING


def _account_create(user: User) -> StripeConnectAccount:
    """The user's connected account, created in Stripe at most once (the idempotency key is the
    brand and user: a double click or a retry after a crash gets the same account)."""
    params: dict[str, Any] = {
        "type": "express",
        "email": user.email,
        "capabilities": {"transfers": {"requested": True}},
        "metadata": brand_metadata(user=user.pk),
    }
    if settings.STRIPE_CONNECT_COUNTRY:
        params["country"] = settings.STRIPE_CONNECT_COUNTRY
    try:
        remote = plain(
            stripe_client().v1.accounts.create(
                params=params,  # type: ignore[arg-type]
                options=request_options("connect-account", user.pk),
            )
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    stripe_route_record(remote["id"], "account")
    account = StripeConnectAccount.objects.create(user=user, account_id=remote["id"])
    _apply(account, remote)
    audit_log(actor=user, action="stripe_connect.created", target=account, account=account.account_id)
    return account


def connect_onboarding_start(*, user: User) -> tuple[StripeConnectAccount, str]:
    """The user's account (created if needed) and a fresh onboarding link (single-use, valid a
    few minutes: ask again rather than store it)."""
    if not stripe_is_configured():
        raise field_error("provider", "Stripe payouts are not available.", Code.STRIPE_NOT_AVAILABLE)
    if not Affiliate.objects.filter(user=user, status=AffiliateStatus.APPROVED).exists():
        raise field_error("affiliate", "Your membership is not approved.", Code.NOT_APPROVED)
    with transaction.atomic():
        # One account per user: the user's row serialises two concurrent first clicks.
        User.objects.select_for_update().filter(pk=user.pk).first()
        account = StripeConnectAccount.objects.filter(user=user).first() or _account_create(user)
    link_type = "account_update" if account.status == StripeConnectStatus.VERIFIED else "account_onboarding"
    try:
        link = stripe_client().v1.account_links.create(
            params={
                "account": account.account_id,
                "refresh_url": _brand_url(REFRESH_PATH),
                "return_url": _brand_url(RETURN_PATH),
                "type": link_type,
            }
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    return account, str(link.url)


def _apply(account: StripeConnectAccount, remote: Mapping[str, Any]) -> bool:
    """Copy Stripe's account onto the row; True when the status changed."""
    requirements = remote.get("requirements") or {}
    previous = account.status
    account.status = connect_status(remote)
    account.details_submitted = bool(remote.get("details_submitted"))
    account.payouts_enabled = bool(remote.get("payouts_enabled"))
    account.transfers_active = (remote.get("capabilities") or {}).get("transfers") == "active"
    account.requirements_due = [str(item) for item in requirements.get("currently_due") or []][:50]
    account.disabled_reason = str(requirements.get("disabled_reason") or "")[:120]
    account.synced_at = timezone.now()
    account.save()
    return account.status != previous


def connect_account_sync(*, account_id: str) -> StripeConnectAccount | None:
    """Read the account back from Stripe and record its status (None: not this brand's)."""
    with transaction.atomic():
        account = StripeConnectAccount.objects.select_for_update().filter(account_id=account_id).first()
        if account is None:
            return None
        try:
            remote = plain(stripe_client().v1.accounts.retrieve(account_id))
        except stripe.StripeError as error:
            raise provider_error(error) from error
        if _apply(account, remote):
            emit(
                "stripe_connect.updated",
                {"user_id": account.user_id, "account_id": account.account_id, "status": account.status},
            )
            audit_log(
                actor=None,
                action="stripe_connect.status",
                target=account,
                subject=account.user,
                status=account.status,
            )
    return account


def connect_account_refresh(*, user: User) -> StripeConnectAccount | None:
    """The user's account as Stripe has it now (when they come back from onboarding)."""
    account = StripeConnectAccount.objects.filter(user=user).first()
    if account is None:
        return None
    return connect_account_sync(account_id=account.account_id)


def connect_withdrawal_details(*, user: User) -> dict[str, str]:
    """What a withdrawal by Stripe records: the user's verified connected account."""
    account = StripeConnectAccount.objects.filter(user=user).first()
    if account is None:
        raise field_error(
            "method", "Connect a Stripe account before withdrawing by Stripe.", Code.STRIPE_NOT_CONNECTED
        )
    if account.status != StripeConnectStatus.VERIFIED:
        raise field_error(
            "method",
            "Your Stripe account cannot receive payouts yet: finish onboarding in Stripe.",
            Code.STRIPE_NOT_VERIFIED,
        )
    return {"account": account.account_id}


def connect_payout_failed(*, account_id: str, payout: Mapping[str, Any]) -> StripeConnectAccount | None:
    """Record a failed bank payout of a connected account and tell its owner (once per payout)."""
    with transaction.atomic():
        account = StripeConnectAccount.objects.select_for_update().filter(account_id=account_id).first()
        if account is None:
            return None
        payout_id = str(payout.get("id") or "")
        if account.last_payout_failure.get("payout") == payout_id:
            return account
        currency = str(payout.get("currency") or "eur").upper()
        amount = from_minor_units(int(payout.get("amount") or 0), currency)
        failed_at = timestamp(payout.get("created")) or timezone.now()
        account.last_payout_failure = {
            "payout": payout_id,
            "amount": str(amount),
            "currency": currency,
            "code": str(payout.get("failure_code") or ""),
            "message": str(payout.get("failure_message") or "")[:300],
            "at": failed_at.isoformat(),
        }
        account.save(update_fields=["last_payout_failure"])
        emit(
            "stripe_connect.payout_failed",
            {
                "user_id": account.user_id,
                "account_id": account.account_id,
                "payout_id": payout_id,
                "amount": amount,
                "currency": currency,
                "failure_code": account.last_payout_failure["code"],
                "failure_message": account.last_payout_failure["message"],
            },
        )
        audit_log(
            actor=None,
            action="stripe_connect.payout_failed",
            target=account,
            subject=account.user,
            payout=payout_id,
            code=account.last_payout_failure["code"],
        )
    return account
