"""Accounts are owned by plain (owner type, owner id) values: one account per owner, kind and
currency; the brand's house accounts have no owner id; the same owner id in two brands names two
different owners; and an owner with accounts cannot be deleted (as the old PROTECT foreign key
guaranteed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from affiliation.models import Affiliate, Program
from affiliation.selectors import affiliate_balance
from ledger.models import AccountKind, LedgerAccount, LedgerTransaction, OwnerType
from ledger.owners import BRAND, Owner
from ledger.selectors import ledger_differences, owner_balance
from ledger.services import LedgerError, ledger_account, ledger_transfer
from privacy.services import user_anonymise
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program


def _earn(owner: Owner, amount: Decimal, key: str, currency: str = "EUR") -> LedgerTransaction | None:
    return ledger_transfer(
        kind="test.earned",
        idempotency_key=key,
        source=ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency=currency),
        destination=ledger_account(owner=owner, kind=AccountKind.PENDING, currency=currency),
        amount=amount,
    )


def _sell(merchant: Owner, amount: Decimal, key: str) -> None:
    ledger_transfer(
        kind="test.sale",
        idempotency_key=key,
        source=ledger_account(owner=BRAND, kind=AccountKind.CUSTOMER_PAYMENTS, currency="EUR"),
        destination=ledger_account(owner=merchant, kind=AccountKind.MERCHANT_SALES, currency="EUR"),
        amount=amount,
    )


# --- owners as values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner_type", "owner_id"),
    [
        ("brand", 1),  # house accounts have no owner id
        ("affiliate", None),
        ("merchant", 0),
        ("affiliate", -3),
        ("affiliate", "7"),
        ("affiliate", True),
        ("customer", 4),  # not an owner type
    ],
)
def test_an_owner_is_a_known_type_with_a_positive_id_except_the_brand(owner_type, owner_id):
    with pytest.raises(ValueError, match=r"owner id|positive integer id|not a valid OwnerType"):
        Owner(owner_type, owner_id)


def test_owners_are_plain_comparable_values():
    assert Owner("affiliate", 5) == Owner.affiliate(5)
    assert Owner.affiliate(5) != Owner.merchant(5)
    assert Owner("brand") == BRAND
    assert (str(Owner.affiliate(5)), str(BRAND)) == ("affiliate:5", "brand")


def test_one_account_per_owner_kind_and_currency(brand_a):
    with tenant_context(brand_a):
        first = ledger_account(owner=Owner.affiliate(41), kind=AccountKind.PENDING, currency="EUR")
        again = ledger_account(owner=Owner.affiliate(41), kind=AccountKind.PENDING, currency="EUR")
        other_owner = ledger_account(owner=Owner.affiliate(42), kind=AccountKind.PENDING, currency="EUR")
        other_currency = ledger_account(owner=Owner.affiliate(41), kind=AccountKind.PENDING, currency="MAD")
        house = ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR")

        assert again.pk == first.pk
        assert len({first.pk, other_owner.pk, other_currency.pk, house.pk}) == 4
        assert (first.owner_type, first.owner_id) == (OwnerType.AFFILIATE, 41)
        assert (house.owner_type, house.owner_id) == (OwnerType.BRAND, None)
        # The database refuses a second row for the same owner, or a second house account.
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerAccount.objects.create(
                owner_type=OwnerType.AFFILIATE, owner_id=41, kind=AccountKind.PENDING, currency="EUR"
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerAccount.objects.create(
                owner_type=OwnerType.BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR"
            )


@pytest.mark.parametrize(
    ("owner_type", "owner_id"),
    [("brand", 3), ("affiliate", None), ("merchant", None)],
)
def test_the_database_refuses_a_house_account_with_an_owner_id_and_an_owned_one_without(
    brand_a, owner_type, owner_id
):
    with tenant_context(brand_a), pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(
            owner_type=owner_type, owner_id=owner_id, kind=AccountKind.PENDING, currency="EUR"
        )


@pytest.mark.parametrize(
    ("owner", "kind"),
    [
        (BRAND, AccountKind.PENDING),
        (Owner.affiliate(1), AccountKind.PLATFORM_FEES),
        (Owner.affiliate(1), AccountKind.MERCHANT_SALES),
        (Owner.merchant(1), AccountKind.AVAILABLE),
    ],
)
def test_an_owner_holds_only_the_kinds_of_its_type(brand_a, owner, kind):
    with tenant_context(brand_a):
        with pytest.raises(LedgerError):
            ledger_account(owner=owner, kind=kind, currency="EUR")

        assert not LedgerAccount.objects.exists()


def test_owner_balance_sums_the_stages_of_one_owner_in_one_currency(brand_a):
    with tenant_context(brand_a):
        owner = Owner.affiliate(7)
        _earn(owner, Decimal("10.50"), "a")
        _earn(owner, Decimal(2), "b", currency="MAD")
        _earn(Owner.affiliate(8), Decimal(99), "c")
        ledger_transfer(
            kind="test.released",
            idempotency_key="d",
            source=ledger_account(owner=owner, kind=AccountKind.PENDING, currency="EUR"),
            destination=ledger_account(owner=owner, kind=AccountKind.AVAILABLE, currency="EUR"),
            amount=Decimal("4.50"),
        )

        balance = owner_balance(owner=owner, currency="EUR")

        assert (balance.currency, balance.pending, balance.available, balance.reserved, balance.paid) == (
            "EUR",
            Decimal(6),
            Decimal("4.50"),
            0,
            0,
        )
        assert owner_balance(owner=Owner.affiliate(9), currency="EUR").pending == 0
        assert ledger_differences() == []


# --- cross-brand --------------------------------------------------------------------------------


def test_the_same_owner_id_in_two_brands_names_two_separate_accounts(brand_a, brand_b):
    # Given the same owner id and the same idempotency key in both brands' ledgers
    with tenant_context(brand_a):
        posted_in_alpha = _earn(Owner.affiliate(5), Decimal(10), "earned:1")
        alpha_ids = set(LedgerAccount.objects.values_list("pk", flat=True))
    with tenant_context(brand_b):
        posted_in_beta = _earn(Owner.affiliate(5), Decimal(3), "earned:1")
        beta_ids = set(LedgerAccount.objects.values_list("pk", flat=True))

    # Then both were posted (idempotency is per brand) and each brand sees only its own money
    assert posted_in_alpha is not None
    assert posted_in_beta is not None
    with tenant_context(brand_a):
        assert owner_balance(owner=Owner.affiliate(5), currency="EUR").pending == Decimal(10)
        assert ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR").balance == -10
        assert set(LedgerAccount.objects.values_list("pk", flat=True)) == alpha_ids
        assert ledger_differences() == []
    with tenant_context(brand_b):
        assert owner_balance(owner=Owner.affiliate(5), currency="EUR").pending == Decimal(3)
        assert ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR").balance == -3
        assert set(LedgerAccount.objects.values_list("pk", flat=True)) == beta_ids
        assert ledger_differences() == []


def test_an_affiliate_balance_reads_its_own_brand_only(brand_a, brand_b):
    # Given money in beta's ledger for the owner id of an alpha affiliate
    with tenant_context(brand_a):
        alpha = make_affiliate(brand_a, make_program())
    with tenant_context(brand_b):
        _earn(Owner.affiliate(alpha.pk), Decimal(12), "beta-money")

    # Then the alpha affiliate has nothing: the beta ledger is another schema
    with tenant_context(brand_a):
        assert affiliate_balance(alpha).pending == 0
    with tenant_context(brand_b):
        assert owner_balance(owner=Owner.affiliate(alpha.pk), currency="EUR").pending == 12


# --- deletion: what PROTECT guaranteed -----------------------------------------------------------


def test_an_affiliate_with_ledger_accounts_cannot_be_deleted(brand_a):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, make_program())
        _earn(Owner.affiliate(affiliate.pk), Decimal(5), "k")

        with pytest.raises(ProtectedError), transaction.atomic():
            affiliate.delete()
        with pytest.raises(ProtectedError), transaction.atomic():
            Affiliate.objects.filter(pk=affiliate.pk).delete()

        assert Affiliate.objects.filter(pk=affiliate.pk).exists()
        assert affiliate_balance(affiliate).pending == 5


def test_deletions_that_cascade_to_such_an_affiliate_are_refused_whole(brand_a):
    # Given an affiliate with money; its user and its program cascade to it
    with tenant_context(brand_a):
        program = make_program()
        affiliate = make_affiliate(brand_a, program)
        _earn(Owner.affiliate(affiliate.pk), Decimal(5), "k")

        # When the user, or the program, is deleted, the whole deletion is refused
        with pytest.raises(ProtectedError), transaction.atomic():
            affiliate.user.delete()
        with pytest.raises(ProtectedError), transaction.atomic():
            program.delete()

        # Then nothing was deleted
        assert User.objects.filter(pk=affiliate.user_id).exists()
        assert Program.objects.filter(pk=program.pk).exists()
        assert Affiliate.objects.filter(pk=affiliate.pk).exists()


def test_a_merchant_with_ledger_accounts_cannot_be_deleted(brand_a):
    merchant = make_user(brand_a, role=Role.MERCHANT)
    with tenant_context(brand_a):
        _sell(Owner.merchant(merchant.pk), Decimal(20), "sale")

        with pytest.raises(ProtectedError), transaction.atomic():
            User.objects.get(pk=merchant.pk).delete()

        assert User.objects.filter(pk=merchant.pk).exists()


def test_owners_without_accounts_are_deleted_as_before(brand_a, brand_b):
    # Given in beta an affiliate and a merchant without money, whose ids own accounts in alpha
    merchant = make_user(brand_b, role=Role.MERCHANT)
    with tenant_context(brand_b):
        namesake = make_affiliate(brand_b, make_program())
        other = make_affiliate(brand_b, namesake.program)
    with tenant_context(brand_a):
        _earn(Owner.affiliate(namesake.pk), Decimal(5), "k1")
        _earn(Owner.affiliate(other.pk), Decimal(5), "k2")
        _sell(Owner.merchant(merchant.pk), Decimal(5), "k3")

    # When they are deleted in beta (directly, or by cascade from the user), nothing refuses
    with tenant_context(brand_b):
        Affiliate.objects.get(pk=namesake.pk).delete()
        User.objects.get(pk=other.user_id).delete()
        User.objects.get(pk=merchant.pk).delete()

        assert not Affiliate.objects.filter(pk__in=[namesake.pk, other.pk]).exists()
        assert not User.objects.filter(pk=merchant.pk).exists()


def test_the_guard_on_users_does_not_look_for_a_ledger_in_the_public_schema(public_tenant):
    # Operators are users of the public schema, which has no ledger tables. (Deleting one through
    # the ORM fails earlier, on the tenant-only tables its cascades name: so the guard is called
    # directly here.)
    operator = make_user(public_tenant, role=Role.OPERATOR)
    with tenant_context(public_tenant):
        pre_delete.send(sender=User, instance=operator, using="default", origin=operator)


def test_erasing_an_affiliate_keeps_its_accounts_and_its_protection(brand_a):
    # Given an affiliate with money
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, make_program())
        _earn(Owner.affiliate(affiliate.pk), Decimal("7.25"), "k")
        accounts_before = list(
            LedgerAccount.objects.filter(owner_type="affiliate", owner_id=affiliate.pk).values_list(
                "pk", "balance"
            )
        )

        # When their personal data is erased (the privacy path anonymises, it never deletes)
        user_anonymise(user=affiliate.user)

        # Then the ledger is untouched and the owner still cannot be deleted
        assert list(
            LedgerAccount.objects.filter(owner_type="affiliate", owner_id=affiliate.pk).values_list(
                "pk", "balance"
            )
        ) == (accounts_before)
        assert affiliate_balance(affiliate).pending == Decimal("7.25")
        assert ledger_differences() == []
        with pytest.raises(ProtectedError), transaction.atomic():
            User.objects.get(pk=affiliate.user_id).delete()
