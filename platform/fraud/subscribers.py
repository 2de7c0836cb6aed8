"""The rules that hang on events rather than hooks: signups (disposable email, flooding),
withdrawals (payout details another affiliate uses), and refunds (the refund-rate counter).
All run in the emitting transaction (``Phase.IN_TRANSACTION``): a hold or reject takes effect
with the change itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from accounts.models import UserSession
from affiliation.models import Affiliate, AffiliateStatus
from core.events import Event, Phase, subscriber
from fraud.cases import Hit, case_open
from fraud.config import program_rules_fresh
from fraud.models import CaseKind
from fraud.rules import HOLD, REJECT
from fraud.screening import refund_counted
from payouts.models import WithdrawalRequest, WithdrawalStatus

DISPOSABLE_DOMAINS_FILE = Path(__file__).with_name("disposable_domains.txt")


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    lines = DISPOSABLE_DOMAINS_FILE.read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_disposable(email: str) -> bool:
    domain = email.rpartition("@")[2].strip().lower()
    parts = domain.split(".")
    return any(".".join(parts[index:]) in disposable_domains() for index in range(len(parts) - 1))


@subscriber("affiliate.joined", phase=Phase.IN_TRANSACTION)
def signup_screen(event: Event) -> None:
    affiliate = Affiliate.objects.select_related("user").filter(pk=event.payload["affiliate_id"]).first()
    if affiliate is None:
        return
    rules = program_rules_fresh(affiliate.program_id)
    hits: list[Hit] = []
    rule = rules["disposable_email"]
    if rule.enabled and is_disposable(affiliate.user.email):
        hits.append(Hit(rule, {"domain": affiliate.user.email.rpartition("@")[2]}))
    rule = rules["signup_flooding"]
    networks = set(
        UserSession.objects.filter(user_id=affiliate.user_id)
        .exclude(ip_network="")
        .values_list("ip_network", flat=True)
    )
    if rule.enabled and rule.threshold is not None and networks:
        since = timezone.now() - dt.timedelta(hours=1)
        joined = (
            Affiliate.objects.filter(
                program_id=affiliate.program_id,
                joined_at__gte=since,
                user__sessions__ip_network__in=networks,
            )
            .values("pk")
            .distinct()
            .count()
        )
        if joined > rule.threshold:
            hits.append(Hit(rule, {"joined_this_hour": joined, "network": sorted(networks)[0]}))
    if not hits:
        return
    case = case_open(
        kind=CaseKind.SIGNUP,
        key=f"signup:{affiliate.pk}",
        program_id=affiliate.program_id,
        affiliate_id=affiliate.pk,
        hits=hits,
    )
    # hold: the membership waits for a brand admin (pending); reject: refused at once.
    if case.action in (HOLD, REJECT) and affiliate.status == AffiliateStatus.APPROVED:
        new_status = AffiliateStatus.REJECTED if case.action == REJECT else AffiliateStatus.PENDING
        Affiliate.objects.filter(pk=affiliate.pk).update(status=new_status, decided_at=None)


def _payout_identity(details: dict[str, object]) -> tuple[str, str] | None:
    if details.get("iban"):
        return ("iban", str(details["iban"]).replace(" ", "").upper())
    if details.get("email"):
        return ("email", str(details["email"]).strip().lower())
    return None


@subscriber("withdrawal.requested", phase=Phase.IN_TRANSACTION)
def withdrawal_screen(event: Event) -> None:
    withdrawal = (
        WithdrawalRequest.objects.select_related("affiliate")
        .filter(pk=event.payload["withdrawal_id"])
        .first()
    )
    if withdrawal is None:
        return
    identity = _payout_identity(withdrawal.details or {})
    if identity is None:
        return
    rule = program_rules_fresh(withdrawal.affiliate.program_id)["duplicate_payout_details"]
    if not rule.enabled:
        return
    field, value = identity
    lookup = Q(details__iban=value) if field == "iban" else Q(details__email=value)
    others = sorted(
        set(
            WithdrawalRequest.objects.filter(lookup)
            .exclude(affiliate__user_id=withdrawal.affiliate.user_id)
            .values_list("affiliate__user_id", flat=True)
        )
    )
    if not others:
        return
    case = case_open(
        kind=CaseKind.WITHDRAWAL,
        key=f"withdrawal:{withdrawal.pk}",
        program_id=withdrawal.affiliate.program_id,
        affiliate_id=withdrawal.affiliate_id,
        withdrawal_id=withdrawal.pk,
        hits=[Hit(rule, {"detail": field, "other_users": len(others)})],
    )
    if case.action == REJECT and withdrawal.status == WithdrawalStatus.REQUESTED:
        from payouts.services import withdrawal_reject

        withdrawal_reject(actor=None, withdrawal=withdrawal, reason="Payout details under review.")
    elif case.action == HOLD and withdrawal.status in (WithdrawalStatus.REQUESTED, WithdrawalStatus.APPROVED):
        # Held until the case is decided (``fraud.services``): no approval, automatic or not,
        # no payment and no payout run meanwhile.
        from payouts.services import withdrawal_hold

        withdrawal_hold(actor=None, withdrawal=withdrawal, reason="payout details under fraud review")


@subscriber("conversion.refunded", phase=Phase.IN_TRANSACTION)
def refund_count(event: Event) -> None:
    """Counted once per sale: on its first refund (the total refunded is this refund)."""
    if Decimal(str(event.payload["total_refunded"])) == Decimal(str(event.payload["amount"])):
        refund_counted(affiliate_id=int(event.payload["affiliate_id"]))
