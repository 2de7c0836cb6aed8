from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.services import commissions_release_due, conversion_record
from ledger.selectors import ledger_differences
from payouts.services import withdrawal_approve, withdrawal_mark_paid, withdrawal_reject, withdrawal_request
from statements.models import SelfBillingCounter, SelfBillingInvoice
from statements.services import self_billing_issue, statement_settings_update
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.payments.test_invoice_pdf import read_pdf
from tests.statements.conftest import PAYPAL

SETTINGS_QUERY = "{ statementSettings { selfBillingEnabled selfBillingVatRate } }"
SETTINGS_MUTATION = """mutation($i: StatementSettingsInput!) { statementSettingsUpdate(input: $i) {
    statementSettings { selfBillingEnabled selfBillingVatRate } errors { field code } } }"""


def _funded(brand, amount: str = "500.00"):
    affiliate = make_affiliate(brand, make_program(cascade_rates=[], hold_days=0))
    click = make_click(affiliate)
    sale = (Decimal(amount) * 5).quantize(Decimal("0.01"))
    conversion_record(
        source="postback",
        order_id=f"f-{affiliate.pk}",
        amount=str(sale),
        currency="EUR",
        click_id=str(click.id),
    )
    commissions_release_due()
    return affiliate


def _paid(affiliate, admin, amount: str):
    withdrawal = withdrawal_request(affiliate=affiliate, amount=amount, method="paypal", details=PAYPAL)
    withdrawal_approve(actor=admin, withdrawal=withdrawal)
    return withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="PP-9")


@pytest.fixture
def business(brand_a, identities):
    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        affiliate = _funded(brand_a)
        statement_settings_update(actor=admin, self_billing_enabled=True, self_billing_vat_rate="20")
        yield affiliate, admin


def test_a_vat_registered_business_gets_numbered_invoices_with_vat(business, identities):
    affiliate, admin = business
    identities.business(affiliate.user, vat_registered=True)

    first = self_billing_issue(withdrawal_id=_paid(affiliate, admin, "120.00").pk)
    second = self_billing_issue(withdrawal_id=_paid(affiliate, admin, "30.00").pk)

    assert first is not None
    assert second is not None
    assert (first.number, second.number) == (f"SB-{affiliate.user_id}-00001", f"SB-{affiliate.user_id}-00002")
    assert (first.total, first.subtotal, first.vat_amount, first.vat_rate) == (
        Decimal(120),
        Decimal(100),
        Decimal(20),
        Decimal(20),
    )
    assert first.vat_applicable
    assert first.issuer["ice"] == "001525489000088"
    from django.core.files.storage import default_storage

    with default_storage.open(first.pdf_key, "rb") as handle:
        text = read_pdf(handle.read()).text
    for expected in (
        "Atlas Média SARL",
        "ICE 001525489000088",
        "Self-billing invoice",
        "€20.00",
        "€120.00",
        "VAT ID 40204410",
    ):
        assert expected in text, expected
    assert ledger_differences() == []


def test_a_business_without_vat_gets_the_mention_and_no_vat(business, identities):
    affiliate, admin = business
    identities.business(affiliate.user, vat_registered=False)

    invoice = self_billing_issue(withdrawal_id=_paid(affiliate, admin, "45.50").pk)

    assert invoice is not None
    assert (invoice.total, invoice.subtotal, invoice.vat_amount, invoice.vat_applicable) == (
        Decimal("45.50"),
        Decimal("45.50"),
        0,
        False,
    )
    from django.core.files.storage import default_storage

    with default_storage.open(invoice.pdf_key, "rb") as handle:
        assert "VAT not applicable" in read_pdf(handle.read()).text


def test_issuing_twice_for_one_withdrawal_makes_one_invoice(business, identities):
    affiliate, admin = business
    identities.business(affiliate.user, vat_registered=True)
    withdrawal = _paid(affiliate, admin, "50.00")

    assert self_billing_issue(withdrawal_id=withdrawal.pk) == self_billing_issue(withdrawal_id=withdrawal.pk)
    assert SelfBillingInvoice.objects.filter(user=affiliate.user).count() == 1
    assert SelfBillingCounter.objects.get(user=affiliate.user).last_sequence == 1


def test_no_invoice_when_disabled_for_individuals_or_unpaid(business, identities):
    affiliate, admin = business
    # an individual (no business identity)
    assert self_billing_issue(withdrawal_id=_paid(affiliate, admin, "20.00").pk) is None
    identities.business(affiliate.user, vat_registered=True)
    # not paid: requested, then rejected
    pending = withdrawal_request(affiliate=affiliate, amount="20.00", method="paypal", details=PAYPAL)
    assert self_billing_issue(withdrawal_id=pending.pk) is None
    withdrawal_reject(actor=admin, withdrawal=pending, reason="No")
    assert self_billing_issue(withdrawal_id=pending.pk) is None
    # the brand turns it off
    statement_settings_update(actor=admin, self_billing_enabled=False)
    assert self_billing_issue(withdrawal_id=_paid(affiliate, admin, "20.00").pk) is None
    assert not SelfBillingInvoice.objects.exists()


def test_a_paid_withdrawal_is_invoiced_through_its_event(
    business, identities, django_capture_on_commit_callbacks
):
    affiliate, admin = business
    identities.business(affiliate.user, vat_registered=True)

    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = _paid(affiliate, admin, "60.00")

    invoice = SelfBillingInvoice.objects.get(withdrawal_id=withdrawal.pk)
    assert invoice.total == Decimal(60)


def test_the_settings_toggle_by_brand_admins_only(brand_a, gql):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    affiliate = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a, admin)

    assert client.data(SETTINGS_QUERY)["statementSettings"] == {
        "selfBillingEnabled": False,
        "selfBillingVatRate": "20.00",
    }
    done = client.data(SETTINGS_MUTATION, {"i": {"selfBillingEnabled": True, "selfBillingVatRate": "10"}})
    assert done["statementSettingsUpdate"] == {
        "statementSettings": {"selfBillingEnabled": True, "selfBillingVatRate": "10.00"},
        "errors": [],
    }
    for bad in ("101", "-1", "12.34567"):
        refused = client.data(SETTINGS_MUTATION, {"i": {"selfBillingVatRate": bad}})
        assert refused["statementSettingsUpdate"]["errors"] == [
            {"field": "selfBillingVatRate", "code": "INVALID_RATE"}
        ], bad
    by_affiliate = gql(brand_a, affiliate).execute(SETTINGS_MUTATION, {"i": {"selfBillingEnabled": False}})
    assert by_affiliate["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert gql(brand_a, affiliate).execute(SETTINGS_QUERY)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_invoices_are_listed_to_their_affiliate_and_admins_only(business, identities, gql, brand_a, brand_b):
    affiliate, admin = business
    identities.business(affiliate.user, vat_registered=True)
    invoice = self_billing_issue(withdrawal_id=_paid(affiliate, admin, "24.00").pk)
    stranger = make_user(brand_a, role=Role.AFFILIATE)
    query = "{ selfBillingInvoices { number total { amount } vatAmount { amount } vatApplicable pdfUrl } }"

    mine = gql(brand_a, affiliate.user).data(query)["selfBillingInvoices"]
    assert [(row["number"], row["total"]["amount"], row["vatAmount"]["amount"]) for row in mine] == [
        (invoice.number, "24.00", "4.00")
    ]
    assert mine[0]["pdfUrl"]
    assert len(gql(brand_a, admin).data(query)["selfBillingInvoices"]) == 1
    assert gql(brand_a, stranger).data(query)["selfBillingInvoices"] == []
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    assert gql(brand_b, admin_b).data(query)["selfBillingInvoices"] == []


@pytest.mark.live
def test_concurrent_payouts_number_invoices_without_gaps(live_brands, identities):
    """12 paid withdrawals of one affiliate invoiced at once: numbers 1..12, each once."""
    brand, _ = live_brands
    with tenant_context(brand):
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        affiliate = _funded(brand, "1000.00")
        identities.business(affiliate.user, vat_registered=True)
        statement_settings_update(actor=admin, self_billing_enabled=True)
        withdrawals = [_paid(affiliate, admin, "15.00").pk for _ in range(12)]
    barrier = threading.Barrier(len(withdrawals))
    errors: list[BaseException] = []

    def issue(withdrawal_id: int) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                self_billing_issue(withdrawal_id=withdrawal_id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=issue, args=(pk,)) for pk in withdrawals + withdrawals[:4]]
    barrier = threading.Barrier(len(threads))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with tenant_context(brand):
        invoices = SelfBillingInvoice.objects.filter(user=affiliate.user)
        assert sorted(invoices.values_list("sequence", flat=True)) == list(range(1, 13))
        assert sorted(invoices.values_list("withdrawal_id", flat=True)) == sorted(withdrawals)
        assert SelfBillingCounter.objects.get(user=affiliate.user).last_sequence == 12
