"""Demo data of billing for `make run`: the reference merchant plans (in MAD, as the brands of
the seeds price them) and a membership plan linked to the brand's partner program. Idempotent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from affiliation.models import Program
from billing.models import BillingSettings, MembershipPlan, MerchantPlan
from billing.services.invoices import billing_settings, billing_settings_update
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


def demo_billing_settings_ensure() -> BillingSettings:
    """The brand's seller identity and bank details, so invoices read right and customers can pay
    by bank transfer (left alone once set)."""
    row = billing_settings()
    if row.bank_account_holder:
        return row
    tenant = connection.tenant  # type: ignore[attr-defined]
    moroccan = tenant.currency == "MAD"
    return billing_settings_update(
        actor=None,
        legal_name=f"{tenant.name} SARL" if moroccan else f"{tenant.name} SAS",
        address="12 boulevard d'Anfa\n20000 Casablanca" if moroccan else "1 rue de la Paix\n75002 Paris",
        vat_id="ICE 001524683000027" if moroccan else "FR40303265045",
        vat_rate=Decimal("20"),
        invoice_prefix=tenant.schema_name.removeprefix("brand_")[:8].upper() or "INV",
        legal_mentions=(
            "SARL au capital de 100 000 MAD. RC Casablanca 412345."
            if moroccan
            else "SAS au capital de 10 000 EUR. RCS Paris 303 265 045."
        ),
        bank_account_holder=f"{tenant.name} SARL" if moroccan else f"{tenant.name} SAS",
        bank_name="Attijariwafa bank" if moroccan else "La Banque Postale",
        bank_iban="MA64011519000001205000534921" if moroccan else "FR1420041010050500013M02606",
        bank_bic="BCMAMAMC" if moroccan else "PSSTFRPPLIL",
        bank_instructions=(
            "Quote the payment reference in the transfer's label; we confirm within one business day."
        ),
    )


def demo_billing_ensure() -> None:
    """Called by provision_demo inside each demo brand, after the partner program exists."""
    from affiliation.demo import DEMO_PROGRAM_SLUG

    demo_billing_settings_ensure()
    demo_merchant_plans_ensure()
    demo_membership_plan_ensure(program=Program.objects.filter(slug=DEMO_PROGRAM_SLUG).first())
