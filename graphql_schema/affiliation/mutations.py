from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import strawberry

from affiliation import services
from affiliation.models import Link as LinkModel
from affiliation.models import RefundKind
from affiliation.services.programs import TierSpec
from graphql_schema.access import is_brand_admin, parse_id
from graphql_schema.affiliation.access import affiliate_for_admin, my_link, my_membership, program_or_error
from graphql_schema.affiliation.builders import links_with_stats
from graphql_schema.affiliation.types import (
    Affiliate,
    AffiliatePayload,
    Commission,
    Conversion,
    ConversionInput,
    ConversionPayload,
    ConversionRefundInput,
    CouponPayload,
    LinkCreateInput,
    LinkPayload,
    Program,
    ProgramCreateInput,
    ProgramInput,
    ProgramPayload,
    TierInput,
)
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.money import money
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin, IsMerchantOrBrandAdmin


def _values(input_object: Any) -> dict[str, Any]:
    """The fields the client set, with enums as their values."""
    values = {}
    for field in dataclasses.fields(input_object):
        value = getattr(input_object, field.name)
        if value is None or value is strawberry.UNSET:
            continue
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, list):
            value = [item.value if isinstance(item, Enum) else item for item in value]
        values[field.name] = value
    return values


def _merchant_caller(info: Info) -> Any:
    """The merchant a conversion is bound to: the caller, unless a brand admin (brand-wide)."""
    return None if is_brand_admin(info) else info.context.user


def _conversion_payload(result: services.ConversionResult) -> ConversionPayload:
    conversion = result.conversion
    return ConversionPayload(
        conversion=Conversion(
            id=strawberry.ID(str(conversion.pk)),
            order_id=conversion.order_id,
            amount=money(conversion.amount, conversion.currency),
            refunded_amount=money(conversion.refunded_amount, conversion.currency),
            status=conversion.status,
            occurred_at=conversion.occurred_at,
            under_review=conversion.under_review,
        ),
        commissions=[Commission.from_model(commission) for commission in result.commissions],
        created=result.created,
        errors=[],
    )


@strawberry.type
class AffiliationMutation:
    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Create a partner program.")
    @handle_user_errors
    def program_create(self, info: Info, input: ProgramCreateInput) -> ProgramPayload:
        values = _values(input)
        program = services.program_create(
            actor=info.context.user,
            name=values.pop("name", ""),
            landing_url=values.pop("landing_url", ""),
            currency=values.pop("currency", "") or info.context.tenant.currency,
            slug=values.pop("slug", ""),
            **values,
        )
        return ProgramPayload(program=Program.from_model(program), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Change a program's rules.")
    @handle_user_errors
    def program_update(self, info: Info, id: strawberry.ID, input: ProgramInput) -> ProgramPayload:
        program = program_or_error(id)
        keep_on_error(program=lambda: Program.from_model(program))
        program = services.program_update(actor=info.context.user, program=program, **_values(input))
        return ProgramPayload(program=Program.from_model(program), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Replace a program's rate tiers.")
    @handle_user_errors
    def program_tiers_set(self, info: Info, id: strawberry.ID, tiers: list[TierInput]) -> ProgramPayload:
        program = program_or_error(id)
        specs = [TierSpec(tier.code, tier.label, tier.rate, tier.is_default) for tier in tiers]
        keep_on_error(program=lambda: Program.from_model(program))
        services.tiers_set(actor=info.context.user, program=program, tiers=specs)
        return ProgramPayload(program=Program.from_model(program_or_error(id)), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Join a program, optionally with the referral code of the affiliate who invited you.",
    )
    @handle_user_errors
    def affiliate_join(
        self, info: Info, program_id: strawberry.ID, referral_code: str = ""
    ) -> AffiliatePayload:
        program = program_or_error(program_id)
        affiliate = services.affiliate_join(
            user=info.context.user, program=program, referral_code=referral_code
        )
        return AffiliatePayload(affiliate=Affiliate.from_model(affiliate), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Approve a pending or suspended affiliate."
    )
    @handle_user_errors
    def affiliate_approve(self, info: Info, id: strawberry.ID) -> AffiliatePayload:
        affiliate = services.affiliate_decide(
            actor=info.context.user, affiliate=affiliate_for_admin(id), approve=True
        )
        return AffiliatePayload(affiliate=Affiliate.from_model(affiliate), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Reject a pending affiliate, or suspend an approved one.",
    )
    @handle_user_errors
    def affiliate_reject(self, info: Info, id: strawberry.ID) -> AffiliatePayload:
        affiliate = services.affiliate_decide(
            actor=info.context.user, affiliate=affiliate_for_admin(id), approve=False
        )
        return AffiliatePayload(affiliate=Affiliate.from_model(affiliate), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Move an affiliate to another rate tier."
    )
    @handle_user_errors
    def affiliate_set_tier(self, info: Info, id: strawberry.ID, tier_code: str) -> AffiliatePayload:
        affiliate = affiliate_for_admin(id)
        keep_on_error(affiliate=lambda: Affiliate.from_model(affiliate))
        affiliate = services.affiliate_set_tier(
            actor=info.context.user, affiliate=affiliate, tier_code=tier_code
        )
        return AffiliatePayload(affiliate=Affiliate.from_model(affiliate), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Hide or show me on the leaderboard."
    )
    @handle_user_errors
    def leaderboard_opt_out_set(
        self, info: Info, program_id: strawberry.ID, opt_out: bool
    ) -> AffiliatePayload:
        affiliate = services.affiliate_set_leaderboard_opt_out(
            affiliate=my_membership(info, program_id), opt_out=opt_out
        )
        return AffiliatePayload(affiliate=Affiliate.from_model(affiliate), errors=[])

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Create a tracked link.")
    @handle_user_errors
    def link_create(self, info: Info, input: LinkCreateInput) -> LinkPayload:
        affiliate = my_membership(info, input.program_id)
        link = services.link_create(
            affiliate=affiliate,
            target_url=input.target_url,
            title=input.title,
            sub_ids=input.sub_ids if isinstance(input.sub_ids, dict) else None,
            utm=input.utm if isinstance(input.utm, dict) else None,
        )
        link = LinkModel.objects.select_related("program").get(pk=link.pk)
        return LinkPayload(link=links_with_stats([link])[0], errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Archive a link: it stops redirecting; its stats stay.",
    )
    @handle_user_errors
    def link_archive(self, info: Info, id: strawberry.ID) -> LinkPayload:
        link = services.link_archive(actor=info.context.user, link=my_link(info, id))
        return LinkPayload(link=links_with_stats([link])[0], errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description=(
            "Give an affiliate a coupon code, program-wide or for one offer (product:<id>): "
            "that offer's merchant may record sales with it."
        ),
    )
    @handle_user_errors
    def coupon_create(
        self, info: Info, affiliate_id: strawberry.ID, code: str, offer_ref: str = ""
    ) -> CouponPayload:
        coupon = services.coupon_create(
            actor=info.context.user,
            affiliate=affiliate_for_admin(affiliate_id),
            code=code,
            offer_ref=offer_ref,
        )
        return CouponPayload(code=coupon.code, errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description=(
            "Record a sale, attributed by click id or coupon, once per order id: a replay changes nothing. "
            "A merchant records sales of its own offers only (the clicked link's or the coupon's "
            "offer must be one of its products); brand admins record brand-wide. The amount is "
            "capped by the program's maxOrderValue."
        ),
    )
    @handle_user_errors(commissions=[], created=False)
    def conversion_record(self, info: Info, input: ConversionInput) -> ConversionPayload:
        result = services.conversion_record(
            source="api",
            order_id=input.order_id,
            amount=input.amount,
            currency=input.currency,
            click_id=input.click_id,
            coupon_code=input.coupon_code,
            offer_ref=input.offer_ref,
            subscription_ref=input.subscription_ref,
            occurred_at=input.occurred_at,
            merchant=_merchant_caller(info),
            actor=info.context.user,
            buyer_email=input.customer_email,
            buyer_ip=input.customer_ip,
        )
        return _conversion_payload(result)

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description=(
            "Refund or charge back a sale recorded through the API; its commissions are reversed. "
            "A merchant refunds only the sales it recorded."
        ),
    )
    @handle_user_errors(commissions=[], created=False)
    def conversion_refund(self, info: Info, input: ConversionRefundInput) -> ConversionPayload:
        refund = services.conversion_refund(
            source="api",
            order_id=input.order_id,
            refund_id=input.refund_id,
            amount=input.amount,
            kind=RefundKind.CHARGEBACK if input.chargeback else RefundKind.REFUND,
            merchant=_merchant_caller(info),
            recorded_by_merchant_id=parse_id(input.merchant_id) if input.merchant_id else None,
            actor=info.context.user,
        )
        conversion = refund.conversion
        return _conversion_payload(
            services.ConversionResult(
                conversion, created=refund.created, commissions=list(conversion.commissions.all())
            )
        )
