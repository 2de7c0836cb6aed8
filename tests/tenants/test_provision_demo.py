"""`provision_demo` seeds a demo where every role can do its main job at once (walkthrough
finding 18): the merchant can list one more product, an affiliate has money to withdraw, each
brand's admin has a withdrawal, an identity verification and a fraud case to review and (with
PayPal on the local fake, as `make run` has it) a paid payout run, and the French brand's
catalog is in French."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from accounts.selectors import user_by_email
from affiliation.models import Affiliate
from affiliation.selectors import affiliate_balance
from billing.services.plans import merchant_plan
from fraud.models import CaseKind, CaseStatus, FraudCase
from kyc.models import KycProfile, KycStatus
from marketplace.models import Category, Product
from marketplace.services import product_create
from marketplace.services.catalog import product_quota_error
from payments.models import Payment, PaymentStatus
from payouts.models import PayoutItemStatus, PayoutRun, PayoutRunStatus, WithdrawalRequest, WithdrawalStatus
from paypal_fake import FakePayPalServer
from tenants.models import Tenant


@pytest.fixture
def demo_brands(db: None) -> dict[str, Tenant]:
    call_command("provision_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return {tenant.subdomain: tenant for tenant in Tenant.objects.filter(subdomain__in=["nova", "aurum"])}


def test_every_role_of_each_demo_brand_can_do_its_main_job(demo_brands):
    assert set(demo_brands) == {"nova", "aurum"}
    for subdomain, tenant in demo_brands.items():
        with tenant_context(tenant):
            merchant = user_by_email(f"merchant@{subdomain}.test")
            assert product_quota_error(merchant) is None, subdomain
            product_create(
                actor=merchant,
                merchant=merchant,
                title="One more deal",
                original_price="20.00",
                price="10.00",
            )

            balances = [affiliate_balance(member).available for member in Affiliate.objects.all()]
            assert max(balances) > Decimal(0), subdomain

            assert WithdrawalRequest.objects.filter(status="requested").count() == 1, subdomain

            reported = Payment.objects.filter(status=PaymentStatus.TRANSACTION_SUBMITTED)
            assert [payment.payer.email for payment in reported] == [f"customer@{subdomain}.test"]

            _assert_kyc_and_fraud_to_review(subdomain)
            assert not PayoutRun.objects.exists()  # PayPal is not configured here: no run


def _assert_kyc_and_fraud_to_review(subdomain: str) -> None:
    [profile] = KycProfile.objects.all()
    assert (profile.user.email, profile.status) == (f"recruit@{subdomain}.test", KycStatus.SUBMITTED)
    assert sorted(profile.documents.values_list("kind", flat=True)) == ["id_back", "id_front", "selfie"]
    assert set(profile.documents.values_list("content_type", flat=True)) == {"image/jpeg"}
    [case] = FraudCase.objects.all()
    assert (case.kind, case.status, case.rule_codes) == (
        CaseKind.SIGNUP,
        CaseStatus.OPEN,
        ["disposable_email"],
    )


def test_the_demo_merchant_plans_are_in_the_brands_currency(demo_brands):
    for tenant in demo_brands.values():
        with tenant_context(tenant):
            merchant = user_by_email(f"merchant@{tenant.subdomain}.test")
            assert merchant_plan(merchant).currency == tenant.currency
            from billing.models import MerchantPlan

            assert set(MerchantPlan.objects.values_list("currency", flat=True)) == {tenant.currency}


def test_the_french_brand_is_seeded_in_french(demo_brands):
    with tenant_context(demo_brands["aurum"]):
        titles = set(Product.objects.values_list("title", flat=True))
        names = set(Category.objects.values_list("name", flat=True))
    assert "Massage relaxant d'une heure" in titles
    assert "Bien-être & spa" in names
    assert "Wellness & spa" not in names
    with tenant_context(demo_brands["aurum"]):
        from affiliation.models import Link, Program
        from billing.models import MembershipPlan
        from payments.models import BillingSettings

        assert Program.objects.get().description.startswith("Gagnez")
        assert set(Link.objects.filter(offer_ref="").values_list("title", flat=True)) == {"Page d'accueil"}
        assert MembershipPlan.objects.get().description.startswith("Des offres")
        assert BillingSettings.objects.get().bank_instructions.startswith("Indiquez")
    with tenant_context(demo_brands["nova"]):
        assert "One-hour relaxing massage" in set(Product.objects.values_list("title", flat=True))


def test_provisioning_twice_changes_nothing(demo_brands):
    call_command("provision_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for tenant in demo_brands.values():
        with tenant_context(tenant):
            assert Product.objects.count() == 8
            assert WithdrawalRequest.objects.count() == 1
            assert KycProfile.objects.count() == 1
            assert FraudCase.objects.count() == 1


def test_with_paypal_on_the_local_fake_each_brand_has_a_paid_payout_run(db, settings):
    server = FakePayPalServer(client_id="AdemoClient", client_secret="EdemoSecret", process_delay=0.2).start()
    try:
        settings.PAYPAL_CLIENT_ID = "AdemoClient"
        settings.PAYPAL_CLIENT_SECRET = "EdemoSecret"
        settings.PAYPAL_API_BASE = server.url
        for _ in range(2):  # provisioning again changes nothing
            call_command("provision_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    finally:
        server.stop()

    for tenant in Tenant.objects.filter(subdomain__in=["nova", "aurum"]):
        with tenant_context(tenant):
            [run] = PayoutRun.objects.all()
            assert (run.provider, run.status, run.item_count) == ("paypal", PayoutRunStatus.COMPLETED, 1)
            [item] = run.items.all()
            assert item.status == PayoutItemStatus.SUCCEEDED
            assert item.withdrawal.status == WithdrawalStatus.PAID
            assert item.withdrawal.affiliate.user.email == f"recruit@{tenant.subdomain}.test"
            assert WithdrawalRequest.objects.filter(status="requested").count() == 1
            _assert_kyc_and_fraud_to_review(tenant.subdomain)


def test_the_demo_payout_run_never_uses_a_paypal_that_is_not_local(demo_brands, settings):
    settings.PAYPAL_CLIENT_ID = "Areal"
    settings.PAYPAL_CLIENT_SECRET = "Ereal"
    settings.PAYPAL_API_BASE = "https://api-m.paypal.com"
    call_command("provision_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for tenant in demo_brands.values():
        with tenant_context(tenant):
            assert not PayoutRun.objects.exists()
