"""Payments, invoices, Stripe events and the billing settings moved to the ``payments`` app.

State only: the tables stay where they are (``payments`` declares them with ``db_table``), so
an existing brand keeps every row and this migration runs nothing on the database.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_payment_contact_email"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="InvoiceLine"),
                migrations.DeleteModel(name="Invoice"),
                migrations.DeleteModel(name="Payment"),
                migrations.DeleteModel(name="InvoiceSequence"),
                migrations.DeleteModel(name="StripeEvent"),
                migrations.DeleteModel(name="BillingSettings"),
            ],
            database_operations=[],
        ),
    ]
