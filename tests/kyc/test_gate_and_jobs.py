"""Payout gating (no withdrawal approved or paid for a user whose KYC is required and not
approved), the billing identity, the expiry watcher and the retention purge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from accounts.services import user_deactivate
from affiliation.services import commissions_release_due, conversion_record
from core.models import OutboxEvent
from kyc.gate import kyc_payout_block
from kyc.models import KycDocument, KycProfile, KycSettings, KycStatus
from kyc.selectors import billing_identity
from kyc.services import kyc_expiry_sweep, kyc_retention_purge, kyc_settings_update, profile_decide
from payouts.models import WithdrawalStatus
from payouts.services import withdrawal_approve, withdrawal_mark_paid, withdrawal_request
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.kyc.builders import BUSINESS, TODAY, complete_profile, upload_file
from tests.notifications.conftest import providers as providers  # the fixture

PAYPAL = {"email": "me@example.com"}


def _earn(affiliate, amount: str, order_id: str) -> None:
    click = make_click(affiliate)
    sale = (Decimal(amount) * 5).quantize(Decimal("0.01"))
    conversion_record(
        source="postback", order_id=order_id, amount=str(sale), currency="EUR", click_id=str(click.id)
    )
    commissions_release_due(now=timezone.now() + dt.timedelta(days=31))


@pytest.fixture
def funded(brand_a):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, make_program(cascade_rates=[]))
        _earn(affiliate, "100.00", "kyc-fund-1")
        yield affiliate


@pytest.fixture
def admin(funded):
    return make_user(connection.tenant, role=Role.BRAND_ADMIN)


def _require(admin, **fields):
    fields.setdefault("required_roles", ["affiliate"])
    return kyc_settings_update(actor=admin, **fields)


def _code(error: ValidationError, field: str = "status") -> str:
    return str(error.error_dict[field][0].code)


def test_no_withdrawal_is_approved_for_a_user_without_approved_kyc(funded, admin, providers):
    _require(admin, payout_threshold=0)
    withdrawal = withdrawal_request(affiliate=funded, amount="60.00", method="paypal", details=PAYPAL)
    with pytest.raises(ValidationError) as caught:
        withdrawal_approve(actor=admin, withdrawal=withdrawal)
    assert _code(caught.value) == "KYC_REQUIRED"
    withdrawal.refresh_from_db()
    assert withdrawal.status == WithdrawalStatus.REQUESTED

    complete_profile(funded.user)  # submitted, not approved yet: still refused
    with pytest.raises(ValidationError):
        withdrawal_approve(actor=admin, withdrawal=withdrawal)

    profile_decide(actor=admin, profile=KycProfile.objects.get(user=funded.user), decision="approved")
    assert withdrawal_approve(actor=admin, withdrawal=withdrawal).status == WithdrawalStatus.APPROVED


def test_an_approved_withdrawal_is_not_paid_once_kyc_lapsed(funded, admin, providers):
    complete_profile(funded.user)
    profile = profile_decide(
        actor=admin, profile=KycProfile.objects.get(user=funded.user), decision="approved"
    )
    _require(admin)
    withdrawal = withdrawal_request(affiliate=funded, amount="50.00", method="paypal", details=PAYPAL)
    withdrawal_approve(actor=admin, withdrawal=withdrawal)
    KycProfile.objects.filter(pk=profile.pk).update(status=KycStatus.EXPIRED)
    with pytest.raises(ValidationError) as caught:
        withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="PP-1")
    assert _code(caught.value) == "KYC_REQUIRED"
    KycProfile.objects.filter(pk=profile.pk).update(status=KycStatus.APPROVED)
    assert withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="PP-1").status == "paid"


def test_not_required_when_the_role_is_not_listed_or_below_the_threshold(funded, admin, providers):
    # Default: KYC is off.
    first = withdrawal_request(affiliate=funded, amount="20.00", method="paypal", details=PAYPAL)
    assert withdrawal_approve(actor=admin, withdrawal=first).status == "approved"
    withdrawal_mark_paid(actor=admin, withdrawal=first, payment_reference="A")

    _require(admin, required_roles=["merchant"])
    second = withdrawal_request(affiliate=funded, amount="20.00", method="paypal", details=PAYPAL)
    assert withdrawal_approve(actor=admin, withdrawal=second).status == "approved"
    withdrawal_mark_paid(actor=admin, withdrawal=second, payment_reference="B")

    # Threshold 50: 40 paid so far, 10 more makes 50 (not above): allowed; 11 more is above.
    _require(admin, payout_threshold="50")
    third = withdrawal_request(affiliate=funded, amount="10.00", method="paypal", details=PAYPAL)
    assert withdrawal_approve(actor=admin, withdrawal=third).status == "approved"
    withdrawal_mark_paid(actor=admin, withdrawal=third, payment_reference="C")
    fourth = withdrawal_request(affiliate=funded, amount="11.00", method="paypal", details=PAYPAL)
    with pytest.raises(ValidationError) as caught:
        withdrawal_approve(actor=admin, withdrawal=fourth)
    assert _code(caught.value) == "KYC_REQUIRED"


def test_the_gate_refuses_an_approved_profile_whose_id_expired(brand_a):
    with tenant_context(brand_a):
        user = make_user(brand_a, role=Role.AFFILIATE)
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        _require(admin)
        profile = profile_decide(actor=admin, profile=complete_profile(user), decision="approved")
        assert kyc_payout_block(user, Decimal(1)) is None
        KycProfile.objects.filter(pk=profile.pk).update(id_expiry=TODAY)
        assert "expired" in kyc_payout_block(user, Decimal(1))


def test_settings_are_validated_with_codes(brand_a):
    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        with pytest.raises(ValidationError) as caught:
            kyc_settings_update(
                actor=admin, required_roles=["operator"], payout_threshold="-1", retention_days=0
            )
        assert {f: str(e[0].code) for f, e in caught.value.error_dict.items()} == {
            "required_roles": "INVALID",
            "payout_threshold": "OUT_OF_RANGE",
            "retention_days": "OUT_OF_RANGE",
        }
        assert KycSettings.objects.get().required_roles == []


def test_billing_identity_of_an_approved_business(brand_a):
    with tenant_context(brand_a):
        user = make_user(brand_a, role=Role.AFFILIATE)
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        profile = complete_profile(user, values=BUSINESS)
        assert billing_identity(user) is None  # not approved yet
        profile_decide(actor=admin, profile=profile, decision="approved")
        identity = billing_identity(user)
        assert identity is not None
        assert (identity.name, identity.ice, identity.tax_id, identity.rc, identity.country) == (
            "Atlas Digital SARL",
            "001561191000066",
            "12345678",
            "123456",
            "MA",
        )
        assert identity.is_business
        assert identity.vat_registered


def test_expiry_watcher_warns_once_then_expires(brand_a):
    with tenant_context(brand_a):
        user = make_user(brand_a, role=Role.AFFILIATE)
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        profile = profile_decide(actor=admin, profile=complete_profile(user), decision="approved")
        expiry = profile.id_expiry

        assert kyc_expiry_sweep(today=expiry - dt.timedelta(days=31)) == {"warned": 0, "expired": 0}
        assert kyc_expiry_sweep(today=expiry - dt.timedelta(days=30)) == {"warned": 1, "expired": 0}
        assert kyc_expiry_sweep(today=expiry - dt.timedelta(days=10)) == {"warned": 0, "expired": 0}  # once
        warned = OutboxEvent.objects.filter(name="kyc.expiring", payload__user_id=user.pk)
        assert [e.payload["expires_on"] for e in warned] == [expiry.isoformat()]

        assert kyc_expiry_sweep(today=expiry) == {"warned": 0, "expired": 1}
        profile.refresh_from_db()
        assert profile.status == KycStatus.EXPIRED
        assert OutboxEvent.objects.filter(name="kyc.expired", payload__user_id=user.pk).count() == 1
        assert kyc_expiry_sweep(today=expiry + dt.timedelta(days=1)) == {"warned": 0, "expired": 0}


def test_a_document_expiring_first_is_what_the_watcher_follows(brand_a):
    with tenant_context(brand_a):
        user = make_user(brand_a, role=Role.AFFILIATE)
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        complete_profile(user, submit=False)
        upload_file(user, "selfie", expires_on=TODAY + dt.timedelta(days=5))
        from kyc.services import profile_submit

        profile = profile_decide(actor=admin, profile=profile_submit(user=user), decision="approved")
        assert kyc_expiry_sweep(today=TODAY) == {"warned": 1, "expired": 0}
        assert kyc_expiry_sweep(today=TODAY + dt.timedelta(days=5)) == {"warned": 0, "expired": 1}
        profile.refresh_from_db()
        assert profile.status == KycStatus.EXPIRED


def test_documents_are_deleted_n_days_after_account_closure(brand_a, django_capture_on_commit_callbacks):
    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        kyc_settings_update(actor=admin, retention_days=30)
        closed = make_user(brand_a, role=Role.AFFILIATE)
        active = make_user(brand_a, role=Role.AFFILIATE)
        complete_profile(closed)
        complete_profile(active)
        keys = list(KycDocument.objects.filter(profile__user=closed).values_list("file_key", flat=True))
        assert keys
        assert all(default_storage.exists(key) for key in keys)
        user_deactivate(actor=admin, user=closed)
        now = timezone.now()

        assert kyc_retention_purge(now=now + dt.timedelta(days=29)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert kyc_retention_purge(now=now + dt.timedelta(days=31)) == 3
        assert not KycDocument.objects.filter(profile__user=closed).exists()
        assert KycDocument.objects.filter(profile__user=active).count() == 3
        assert not any(default_storage.exists(key) for key in keys)
        profile = KycProfile.objects.get(user=closed)
        assert profile.documents_purged_at is not None
        assert profile.status == KycStatus.SUBMITTED
        assert (profile.legal_name, profile.id_number, profile.iban, profile.date_of_birth) == (
            "",
            "",
            "",
            None,
        )
        assert KycProfile.objects.get(user=active).legal_name == "Amina El Idrissi"
