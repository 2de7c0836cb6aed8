"""Demo data of billing for `make run`: the reference merchant plans in the brand's currency, a
membership plan linked to the brand's partner program, and the demo merchant on the Starter plan
(paid by a confirmed bank transfer), so it can list the demo catalog and one more product
(the demo customer's order is ``marketplace.demo``'s). Idempotent; texts in the brand's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.models import User
from affiliation.models import Program
from billing.models import MembershipPlan, MerchantPlan, MerchantSubscription
from billing.services.memberships import membership_plan_create
from billing.services.plans import merchant_plan_create
from billing.services.subscriptions import PayerDetails, plan_subscribe
from payments.models import BillingSettings, PaymentProvider
from payments.services.invoices import billing_settings, billing_settings_update
from payments.services.payments import (
    payment_confirm,
    payment_submit_transaction,
    payment_verify,
)

DEMO_PLAN_CURRENCY = "MAD"
# code, English name, French name, product quota (None: unlimited), platform fee %
DEMO_MERCHANT_PLANS: list[tuple[str, str, str, int | None, Decimal]] = [
    ("free", "Free", "Gratuit", 5, Decimal("10")),
    ("starter", "Starter", "Starter", 50, Decimal("5")),
    ("pro", "Pro", "Pro", 200, Decimal("3")),
    ("enterprise", "Enterprise", "Entreprise", None, Decimal("2")),
]
# Monthly prices of the plans above, per currency (a currency not listed takes the EUR figures).
DEMO_PLAN_PRICES: dict[str, tuple[Decimal, ...]] = {
    "MAD": (Decimal("0"), Decimal("299"), Decimal("799"), Decimal("1999")),
    "EUR": (Decimal("0"), Decimal("29"), Decimal("79"), Decimal("199")),
}
DEMO_MEMBERSHIP_CODE = "club"
DEMO_MERCHANT_PLAN_CODE = "starter"


def demo_merchant_plans_ensure(
    *, currency: str = DEMO_PLAN_CURRENCY, language: str = "en", actor: Any = None
) -> list[MerchantPlan]:
    """Free 0/month with 5 products and a 10 % fee, Starter 299 MAD (29 EUR) with 50 and 5 %, Pro
    799 (79) with 200 and 3 %, Enterprise 1999 (199) unlimited and 2 %; paid plans with a 14-day
    trial."""
    prices = DEMO_PLAN_PRICES.get(currency, DEMO_PLAN_PRICES["EUR"])
    plans = []
    for position, (code, english, french, quota, fee) in enumerate(DEMO_MERCHANT_PLANS):
        plan = MerchantPlan.objects.filter(code=code).first()
        price = prices[position]
        if plan is None:
            plan = merchant_plan_create(
                actor=actor,
                code=code,
                name=french if language == "fr" else english,
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


def demo_membership_plan_ensure(*, program: Program | None, language: str = "en") -> MembershipPlan | None:
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
        description="Des offres réservées aux membres chaque semaine ; résiliable à tout moment."
        if language == "fr"
        else "Members-only deals every week; cancel anytime.",
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
            "Indiquez la référence du paiement dans le libellé du virement ; "
            "nous confirmons sous un jour ouvré."
            if tenant.language == "fr"
            else "Quote the payment reference in the transfer's label; we confirm within one business day."
        ),
    )


def demo_merchant_subscription_ensure(*, merchant: User, brand_admin: User) -> MerchantSubscription | None:
    """The demo merchant on the Starter plan, paid by bank transfer as a merchant and a brand admin
    would: transfer reported, verified, confirmed (which issues the invoice). Left alone once the
    merchant has a subscription."""
    existing = MerchantSubscription.objects.filter(merchant=merchant).first()
    plan = MerchantPlan.objects.filter(code=DEMO_MERCHANT_PLAN_CODE, is_active=True).first()
    if existing is not None or plan is None:
        return existing
    result = plan_subscribe(
        merchant=merchant,
        plan=plan,
        provider=PaymentProvider.BANK_TRANSFER,
        payer=PayerDetails(
            name=merchant.full_name, email=merchant.email, contact_channel="email", contact=merchant.email
        ),
    )
    if result.bank_transfer is None:
        return result.subscription
    payment = payment_submit_transaction(
        payment=result.bank_transfer.payment, actor=merchant, transaction_id="DEMO-TRANSFER-0001"
    )
    payment = payment_verify(payment=payment, actor=brand_admin)
    payment_confirm(payment=payment, actor=brand_admin)
    return MerchantSubscription.objects.get(merchant=merchant)


def demo_billing_ensure(*, merchant: User, brand_admin: User) -> None:
    """Called by provision_demo inside each demo brand, after the partner program exists and
    before the demo catalog (whose size needs the Starter plan's quota)."""
    from affiliation.demo import DEMO_PROGRAM_SLUG

    tenant = connection.tenant  # type: ignore[attr-defined]
    demo_billing_settings_ensure()
    demo_merchant_plans_ensure(currency=tenant.currency, language=tenant.language)
    demo_membership_plan_ensure(
        program=Program.objects.filter(slug=DEMO_PROGRAM_SLUG).first(), language=tenant.language
    )
    demo_merchant_subscription_ensure(merchant=merchant, brand_admin=brand_admin)
