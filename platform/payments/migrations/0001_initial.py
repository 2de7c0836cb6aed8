"""The payments app takes over billing's payments, invoices, Stripe events and billing settings.

The tables are billing's (``db_table`` on each model), created by ``billing``'s own migrations:
here the models enter this app's state only (``SeparateDatabaseAndState`` with no database
operation), so ``migrate_schemas`` on an existing brand moves no data and loses none. Then the
brand's records that name the models by app are relabelled: content types (and so permissions)
and the audit log's ``target_type`` (``billing.Payment`` becomes ``payments.Payment``), so a
brand's history reads as one.
"""

import core.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = ("BillingSettings", "Invoice", "InvoiceLine", "InvoiceSequence", "Payment", "StripeEvent")


def _relabel(apps, schema_editor, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    audit_event = apps.get_model("core", "AuditEvent")
    for name in MOVED_MODELS:
        model = name.lower()
        if not content_type.objects.filter(app_label=new, model=model).exists():
            content_type.objects.filter(app_label=old, model=model).update(app_label=new)
        audit_event.objects.filter(target_type=f"{old}.{name}").update(target_type=f"{new}.{name}")


def relabel_forward(apps, schema_editor):
    _relabel(apps, schema_editor, "billing", "payments")


def relabel_backward(apps, schema_editor):
    _relabel(apps, schema_editor, "payments", "billing")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('billing', '0005_payments_move_to_payments_app'),
        ('core', '0002_audit_subject_ip_user_agent'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('marketplace', '0004_product_image_status'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='BillingSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('legal_name', models.CharField(blank=True, max_length=160)),
                        ('address', models.TextField(blank=True)),
                        ('vat_id', models.CharField(blank=True, max_length=40)),
                        ('vat_rate', core.fields.RateField(decimal_places=4, default=0, max_digits=7)),
                        ('invoice_prefix', models.CharField(default='INV', max_length=12)),
                        ('legal_mentions', models.TextField(blank=True)),
                        ('bank_account_holder', models.CharField(blank=True, max_length=120)),
                        ('bank_name', models.CharField(blank=True, max_length=120)),
                        ('bank_iban', models.CharField(blank=True, max_length=34)),
                        ('bank_bic', models.CharField(blank=True, max_length=11)),
                        ('bank_rib', models.CharField(blank=True, max_length=30)),
                        ('bank_instructions', models.TextField(blank=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'billing_billingsettings',
                    },
                ),
                migrations.CreateModel(
                    name='StripeEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.CharField(max_length=80, unique=True)),
                        ('type', models.CharField(max_length=80)),
                        ('object_id', models.CharField(db_index=True, max_length=80)),
                        ('created', models.DateTimeField()),
                        ('payload', models.JSONField()),
                        ('received_at', models.DateTimeField(auto_now_add=True)),
                        ('processed_at', models.DateTimeField(blank=True, null=True)),
                        ('outcome', models.CharField(blank=True, max_length=200)),
                    ],
                    options={
                        'db_table': 'billing_stripeevent',
                        'ordering': ['-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Invoice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(max_length=40, unique=True)),
                        ('issued_at', models.DateTimeField()),
                        ('customer_name', models.CharField(blank=True, max_length=120)),
                        ('customer_email', models.EmailField(blank=True, max_length=254)),
                        ('currency', models.CharField(max_length=3)),
                        ('subtotal', core.fields.AmountField(decimal_places=4, max_digits=20)),
                        ('vat_rate', core.fields.RateField(decimal_places=4, max_digits=7)),
                        ('vat_amount', core.fields.AmountField(decimal_places=4, max_digits=20)),
                        ('total', core.fields.AmountField(decimal_places=4, max_digits=20)),
                        ('transaction_id', models.CharField(blank=True, max_length=120)),
                        ('seller', models.JSONField(default=dict)),
                        ('legal_mentions', models.TextField(blank=True)),
                        ('pdf_key', models.CharField(blank=True, max_length=300)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'billing_invoice',
                        'ordering': ['-id'],
                    },
                ),
                migrations.CreateModel(
                    name='InvoiceLine',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('description', models.CharField(max_length=200)),
                        ('quantity', models.PositiveIntegerField()),
                        ('unit_price', core.fields.AmountField(decimal_places=4, max_digits=20)),
                        ('vat_rate', core.fields.RateField(decimal_places=4, max_digits=7)),
                        ('line_total', core.fields.AmountField(decimal_places=4, max_digits=20)),
                        ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='payments.invoice')),
                    ],
                    options={
                        'db_table': 'billing_invoiceline',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='InvoiceSequence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('prefix', models.CharField(max_length=12)),
                        ('day', models.DateField()),
                        ('last_number', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'billing_invoicesequence',
                        'constraints': [models.UniqueConstraint(fields=('prefix', 'day'), name='billing_invoice_sequence_day')],
                    },
                ),
                migrations.CreateModel(
                    name='Payment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(max_length=32, unique=True)),
                        ('provider', models.CharField(choices=[('stripe', 'Stripe'), ('bank_transfer', 'Bank transfer'), ('free', 'Free')], max_length=20)),
                        ('purpose', models.CharField(choices=[('order', 'Order'), ('merchant_plan', 'Merchant plan'), ('membership', 'Membership')], max_length=20)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('transaction_submitted', 'Transaction submitted'), ('verified', 'Verified'), ('confirmed', 'Confirmed'), ('rejected', 'Rejected'), ('failed', 'Failed'), ('refunded', 'Refunded')], default='pending', max_length=24)),
                        ('amount', core.fields.AmountField(decimal_places=4, max_digits=20)),
                        ('currency', models.CharField(max_length=3)),
                        ('payer_name', models.CharField(blank=True, max_length=120)),
                        ('payer_email', models.EmailField(blank=True, max_length=254)),
                        ('payer_contact_channel', models.CharField(blank=True, choices=[('email', 'Email'), ('telegram', 'Telegram'), ('whatsapp', 'WhatsApp'), ('discord', 'Discord')], max_length=10)),
                        ('payer_contact', models.CharField(blank=True, max_length=120)),
                        ('transaction_id', models.CharField(blank=True, max_length=120)),
                        ('stripe_checkout_session_id', models.CharField(blank=True, max_length=80, null=True, unique=True)),
                        ('stripe_invoice_id', models.CharField(blank=True, max_length=80, null=True, unique=True)),
                        ('period_start', models.DateTimeField(blank=True, null=True)),
                        ('period_end', models.DateTimeField(blank=True, null=True)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('verified_at', models.DateTimeField(blank=True, null=True)),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                        ('rejected_at', models.DateTimeField(blank=True, null=True)),
                        ('rejection_reason', models.CharField(blank=True, max_length=500)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('membership', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='billing.membership')),
                        ('merchant_plan', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='billing.merchantplan')),
                        ('merchant_subscription', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='billing.merchantsubscription')),
                        ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='marketplace.order')),
                        ('payer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to=settings.AUTH_USER_MODEL)),
                        ('verified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'billing_payment',
                        'ordering': ['-id'],
                    },
                ),
                migrations.AddField(
                    model_name='invoice',
                    name='payment',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='invoice', to='payments.payment'),
                ),
                migrations.AddIndex(
                    model_name='payment',
                    index=models.Index(fields=['provider', 'status'], name='billing_payment_queue'),
                ),
                migrations.AddConstraint(
                    model_name='payment',
                    constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='billing_payment_amount_positive'),
                ),
                migrations.AddConstraint(
                    model_name='payment',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('order__isnull', False), ('purpose', 'order')), models.Q(('merchant_subscription__isnull', False), ('purpose', 'merchant_plan')), models.Q(('membership__isnull', False), ('purpose', 'membership')), _connector='OR'), name='billing_payment_has_subject'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_forward, relabel_backward),
    ]
