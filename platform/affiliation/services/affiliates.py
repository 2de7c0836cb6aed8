"""Affiliates joining programs, their approval, tier and the referral tree."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from affiliation.error_codes import AffiliationErrorCode as Code
from affiliation.models import Affiliate, AffiliateStatus, CommissionTier, Program
from core.audit import audit_log
from core.errors import field_error
from core.events import emit
from core.tenancy import current_schema
from tracking.routing import affiliate_routes_publish

REFERRAL_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes are read aloud
MAX_TREE_WALK = 50


def _new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_CODE_ALPHABET) for _ in range(8))


def affiliate_join(*, user: User, program: Program, referral_code: str = "") -> Affiliate:
    """Join a program, optionally under the affiliate whose referral code was used.

    The referrer must already be in the tree, so the tree can never close a cycle; a user
    cannot refer themselves.
    """
    if user.role not in {Role.AFFILIATE, Role.BRAND_ADMIN}:
        raise field_error("program", "Only affiliates can join a partner program.", Code.INVALID)
    if not program.is_active:
        raise field_error("program", "This program is not accepting affiliates.", Code.PROGRAM_INACTIVE)
    referrer = None
    if referral_code.strip():
        referrer = Affiliate.objects.filter(
            program=program, referral_code=referral_code.strip().lower()
        ).first()
        if referrer is None:
            raise field_error(
                "referralCode", "No affiliate of this program has this code.", Code.UNKNOWN_REFERRAL_CODE
            )
        if referrer.user_id == user.pk:
            raise field_error("referralCode", "You cannot refer yourself.", Code.SELF_REFERRAL)
    tier = CommissionTier.objects.get(program=program, is_default=True)
    status = AffiliateStatus.APPROVED if program.auto_approve else AffiliateStatus.PENDING
    for _ in range(5):
        try:
            with transaction.atomic():
                affiliate = Affiliate.objects.create(
                    user=user,
                    program=program,
                    tier=tier,
                    referred_by=referrer,
                    status=status,
                    referral_code=_new_referral_code(),
                    decided_at=timezone.now() if status == AffiliateStatus.APPROVED else None,
                )
                audit_log(
                    actor=user,
                    action="affiliate.joined",
                    target=affiliate,
                    referred_by=getattr(referrer, "pk", None),
                )
                emit(
                    "affiliate.joined",
                    {
                        "affiliate_id": affiliate.pk,
                        "program_id": program.pk,
                        "user_id": user.pk,
                        "status": affiliate.status,
                        "referred_by_id": getattr(referrer, "pk", None),
                    },
                )
                return affiliate
        except IntegrityError as error:
            if Affiliate.objects.filter(user=user, program=program).exists():
                raise field_error(
                    "program", "You already joined this program.", Code.ALREADY_JOINED
                ) from error
            # a referral code collision: draw another
    raise RuntimeError("could not draw a free referral code")


def affiliate_decide(*, actor: Any, affiliate: Affiliate, approve: bool) -> Affiliate:
    """A brand admin approves or rejects (or suspends an approved) affiliate."""
    with transaction.atomic():
        locked = Affiliate.objects.select_for_update().get(pk=affiliate.pk)
        if approve:
            new_status = AffiliateStatus.APPROVED
        else:
            new_status = (
                AffiliateStatus.SUSPENDED
                if locked.status == AffiliateStatus.APPROVED
                else AffiliateStatus.REJECTED
            )
        if locked.status != new_status:
            locked.status = new_status
            locked.decided_at = timezone.now()
            locked.save(update_fields=["status", "decided_at"])
            audit_log(actor=actor, action=f"affiliate.{new_status}", target=locked)
            # Links of an affiliate who is not approved stop redirecting (and come back).
            schema_name = current_schema()
            transaction.on_commit(lambda: affiliate_routes_publish(locked, schema_name=schema_name))
    return locked


def affiliate_set_tier(*, actor: Any, affiliate: Affiliate, tier_code: str) -> Affiliate:
    tier = CommissionTier.objects.filter(program_id=affiliate.program_id, code=tier_code).first()
    if tier is None:
        raise field_error("tier", "This program has no such tier.", Code.NOT_FOUND)
    if affiliate.tier_id != tier.pk:
        affiliate.tier = tier
        affiliate.save(update_fields=["tier"])
        audit_log(actor=actor, action="affiliate.tier_set", target=affiliate, tier=tier_code)
    return affiliate


def affiliate_set_leaderboard_opt_out(*, affiliate: Affiliate, opt_out: bool) -> Affiliate:
    if affiliate.leaderboard_opt_out != opt_out:
        affiliate.leaderboard_opt_out = opt_out
        affiliate.save(update_fields=["leaderboard_opt_out"])
    return affiliate


def upline_ids(affiliate: Affiliate, depth: int) -> list[int]:
    """The referrer, the referrer's referrer … up to ``depth`` levels (nearest first).

    One query per level, bounded by the cascade depth (at most five).
    """
    chain: list[int] = []
    seen = {affiliate.pk}
    current = affiliate.referred_by_id
    while current is not None and len(chain) < min(depth, MAX_TREE_WALK):
        if current in seen:  # impossible by construction; never loop on corrupt data
            break
        chain.append(current)
        seen.add(current)
        current = Affiliate.objects.filter(pk=current).values_list("referred_by_id", flat=True).first()
    return chain
