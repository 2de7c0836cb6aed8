"""The move of payments, invoices, Stripe events and billing settings from ``billing`` to
``payments`` is a change of the migrations' state only: a brand migrated before the move keeps
every row, and its audit trail and content types follow the models to their new app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import AuditEvent
from payments.models import BillingSettings, Invoice, Payment, PaymentStatus

SCHEMA = "payments_move_probe"
BEFORE = [
    ("billing", "0004_payment_contact_email"),
    ("core", "0002_audit_subject_ip_user_agent"),
    ("contenttypes", "0002_remove_content_type_name"),
]
AFTER = [("payments", "0001_initial")]


@pytest.fixture
def old_brand_schema(db: None) -> Iterator[str]:
    """An empty brand schema migrated only up to the last migration before the move."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{SCHEMA}"')
    connection.set_schema(SCHEMA)
    try:
        yield SCHEMA
    finally:
        connection.set_schema_to_public()


def test_a_brand_migrated_before_the_move_keeps_its_payments_and_their_history(old_brand_schema):
    # given a brand at billing 0004 with a confirmed plan payment, its invoice, settings and audit trail
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("accounts", "User").objects.create(email="merchant@example.com", role="merchant")
    plan = old.get_model("billing", "MerchantPlan").objects.create(
        code="starter", name="Starter", price=Decimal("299"), currency="MAD", platform_fee_rate=Decimal("5")
    )
    subscription = old.get_model("billing", "MerchantSubscription").objects.create(
        merchant=user, plan=plan, status="active", provider="bank_transfer"
    )
    payment = old.get_model("billing", "Payment").objects.create(
        reference="PAY-OLD0000001",
        provider="bank_transfer",
        purpose="merchant_plan",
        status="confirmed",
        merchant_subscription=subscription,
        merchant_plan=plan,
        amount=Decimal("299"),
        currency="MAD",
        payer=user,
        payer_contact_channel="telegram",
        payer_contact="@ana_doe",
    )
    invoice = old.get_model("billing", "Invoice").objects.create(
        number="INV-20261201-0001",
        payment=payment,
        issued_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        customer=user,
        currency="MAD",
        subtotal=Decimal("249.17"),
        vat_rate=Decimal("20"),
        vat_amount=Decimal("49.83"),
        total=Decimal("299"),
    )
    old.get_model("billing", "InvoiceLine").objects.create(
        invoice=invoice,
        description="Starter plan",
        quantity=1,
        unit_price=Decimal("249.17"),
        vat_rate=Decimal("20"),
        line_total=Decimal("249.17"),
    )
    old.get_model("billing", "BillingSettings").objects.create(legal_name="Old Brand SARL", bank_rib="1" * 24)
    old.get_model("core", "AuditEvent").objects.create(
        action="payment.confirmed", target_type="billing.Payment", target_id=str(payment.pk)
    )
    old.get_model("core", "AuditEvent").objects.create(
        action="plan.changed", target_type="billing.MerchantSubscription", target_id=str(subscription.pk)
    )
    content_types = old.get_model("contenttypes", "ContentType").objects
    content_types.create(app_label="billing", model="payment")
    content_types.create(app_label="billing", model="merchantplan")

    # when the brand is migrated past the move
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    # then the same rows read through the payments app's models
    moved = Payment.objects.get(reference="PAY-OLD0000001")
    assert (moved.pk, moved.status, moved.amount, moved.merchant_plan_id) == (
        payment.pk,
        PaymentStatus.CONFIRMED,
        Decimal("299"),
        plan.pk,
    )
    assert moved.payer_contact == "@ana_doe"
    moved_invoice = Invoice.objects.get(payment=moved)
    assert moved_invoice.number == "INV-20261201-0001"
    assert [line.description for line in moved_invoice.lines.all()] == ["Starter plan"]
    # (read by column: the settings gained fields in later payments migrations)
    assert BillingSettings.objects.values_list("legal_name", flat=True).get() == "Old Brand SARL"
    # and the history names the payment by its new app, what stayed in billing is untouched
    assert set(AuditEvent.objects.values_list("target_type", flat=True)) == {
        "payments.Payment",
        "billing.MerchantSubscription",
    }
    assert set(content_types.values_list("app_label", "model")) == {
        ("payments", "payment"),
        ("billing", "merchantplan"),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
            [SCHEMA, "payments\\_%"],
        )
        assert cursor.fetchone() == (0,)  # no table was created: the move is of state only
