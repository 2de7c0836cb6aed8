"""Demo data of billing for `make run`: the reference merchant plans (in MAD, as the brands of
the seeds price them) and a membership plan linked to the brand's partner program. Idempotent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from affiliation.models import Program
from billing.models import MembershipPlan, MerchantPlan
from billing.services.memberships import membership_plan_create
from billing.services.plans import merchant_plan_create

DEMO_PLAN_CURRENCY = "MAD"
# code, name, monthly price, product quota (None: unlimited), platform fee %
DEMO_MERCHANT_PLANS: list[tuple[str, str, Decimal, int | None, Decimal]] = [
    ("free", "Free", Decimal("0"), 5, Decimal("10")),
    ("starter", "Starter", Decimal("299"), 50, Decimal("5")),
    ("pro", "Pro", Decimal("799"), 200, Decimal("3")),
    ("enterprise", "Enterprise", Decimal("1999"), None, Decimal("2")),
]
DEMO_MEMBERSHIP_CODE = "club"


def demo_merchant_plans_ensure(
    *, currency: str = DEMO_PLAN_CURRENCY, actor: Any = None
) -> list[MerchantPlan]:
    """Free 0/month with 5 products and a 10 % fee, Starter 299 with 50 and 5 %, Pro 799 with 200
    and 3 %, Enterprise 1999 unlimited and 2 %; paid plans with a 14-day trial."""
    plans = []
    for position, (code, name, price, quota, fee) in enumerate(DEMO_MERCHANT_PLANS):
        plan = MerchantPlan.objects.filter(code=code).first()
        if plan is None:
            plan = merchant_plan_create(
                actor=actor,
                code=code,
                name=name,
                price=price,
                currency=currency,
                interval="month",
                product_quota=quota,
                platform_fee_rate=fee,
                trial_days=0 if price == 0 else 14,
                position=position,
            )
        plans.append(plan)
    return plans


def demo_membership_plan_ensure(*, program: Program | None) -> MembershipPlan | None:
    """A monthly club membership; its members' payments earn their referrer the program's
    recurring commission."""
    if program is None:
        return None
    plan = MembershipPlan.objects.filter(code=DEMO_MEMBERSHIP_CODE).first()
    if plan is not None:
        return plan
    price = Decimal("99") if program.currency == "MAD" else Decimal("9.90")
    return membership_plan_create(
        actor=None,
        code=DEMO_MEMBERSHIP_CODE,
        name="Club",
        description="Members-only deals every week; cancel anytime.",
        price=price,
        currency=program.currency,
        interval="month",
        program=program,
    )


def demo_billing_ensure() -> None:
    """Called by provision_demo inside each demo brand, after the partner program exists."""
    from affiliation.demo import DEMO_PROGRAM_SLUG

    demo_merchant_plans_ensure()
    demo_membership_plan_ensure(program=Program.objects.filter(slug=DEMO_PROGRAM_SLUG).first())
