"""Ledger accounts name their owner by (owner_type, owner_id) instead of foreign keys to
``affiliation.Affiliate`` and ``accounts.User``: the ledger stops depending on those apps.

One migration, so one transaction per brand schema: the owner columns are added, filled from
the old foreign keys, and the old columns dropped atomically, and no writer ever sees a state
between the two (the table is locked for the few statements this costs). Account rows keep
their primary keys, so every entry still points at its account and every balance is unchanged
(``ledger_reconcile`` reports 0 differences after it). Reversible: going back refills the
foreign keys from the owner columns.
"""

from django.db import migrations, models
from django.db.models import F, Q

AFFILIATE, MERCHANT, BRAND = "affiliate", "merchant", "brand"


def owners_from_foreign_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    LedgerAccount = apps.get_model("ledger", "LedgerAccount")
    accounts = LedgerAccount.objects.using(schema_editor.connection.alias)
    accounts.filter(affiliate__isnull=False).update(owner_type=AFFILIATE, owner_id=F("affiliate_id"))
    accounts.filter(merchant__isnull=False).update(owner_type=MERCHANT, owner_id=F("merchant_id"))
    accounts.filter(affiliate__isnull=True, merchant__isnull=True).update(owner_type=BRAND, owner_id=None)


def foreign_keys_from_owners(apps, schema_editor):  # type: ignore[no-untyped-def]
    LedgerAccount = apps.get_model("ledger", "LedgerAccount")
    accounts = LedgerAccount.objects.using(schema_editor.connection.alias)
    accounts.filter(owner_type=AFFILIATE).update(affiliate_id=F("owner_id"), merchant_id=None)
    accounts.filter(owner_type=MERCHANT).update(merchant_id=F("owner_id"), affiliate_id=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_remove_ledgeraccount_ledger_account_unique_brand_and_more")]

    operations = [
        migrations.AddField(
            model_name="ledgeraccount",
            name="owner_type",
            field=models.CharField(
                choices=[
                    ("brand", "The brand (house accounts)"),
                    ("affiliate", "An affiliate (membership of a program)"),
                    ("merchant", "A merchant (user)"),
                ],
                default=BRAND,
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ledgeraccount",
            name="owner_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RemoveConstraint(model_name="ledgeraccount", name="ledger_account_unique_affiliate"),
        migrations.RemoveConstraint(model_name="ledgeraccount", name="ledger_account_unique_merchant"),
        migrations.RemoveConstraint(model_name="ledgeraccount", name="ledger_account_unique_brand"),
        migrations.RemoveConstraint(model_name="ledgeraccount", name="ledger_account_one_owner"),
        migrations.RunPython(owners_from_foreign_keys, foreign_keys_from_owners, elidable=False),
        migrations.RemoveField(model_name="ledgeraccount", name="affiliate"),
        migrations.RemoveField(model_name="ledgeraccount", name="merchant"),
        migrations.AddConstraint(
            model_name="ledgeraccount",
            constraint=models.UniqueConstraint(
                condition=Q(owner_id__isnull=False),
                fields=("owner_type", "owner_id", "kind", "currency"),
                name="ledger_account_unique_owner",
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgeraccount",
            constraint=models.UniqueConstraint(
                condition=Q(owner_id__isnull=True),
                fields=("owner_type", "kind", "currency"),
                name="ledger_account_unique_house",
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgeraccount",
            constraint=models.CheckConstraint(
                condition=(Q(owner_type=BRAND) & Q(owner_id__isnull=True))
                | (~Q(owner_type=BRAND) & Q(owner_id__isnull=False)),
                name="ledger_account_house_has_no_owner_id",
            ),
        ),
    ]
