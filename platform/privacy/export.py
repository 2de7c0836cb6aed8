"""The data export: one JSON file per kind of data the brand holds about a user, plus the PDFs
of their invoices, in a ZIP. Every query is filtered by the user: nothing of another user."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from typing import Any

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import User
from privacy.models import DataExport

# What the archive holds, in order (the README lists the same files).
FILES = (
    "profile.json",
    "links.json",
    "clicks_daily.json",
    "conversions.json",
    "commissions.json",
    "withdrawals.json",
    "orders.json",
    "invoices.json",
    "consents.json",
    "audit.json",
)


def export_folder(user_id: int) -> str:
    return f"exports/{user_id}"


def export_key(export: DataExport) -> str:
    """``exports/<user id>/<export id>-<random>.zip`` (stored as ``<schema>/exports/...``); the
    random part keeps keys unguessable even to someone who knows the ids."""
    return f"{export_folder(export.user_id)}/{export.pk}-{secrets.token_hex(8)}.zip"


def _rows(queryset: Any, *fields: str) -> list[dict[str, Any]]:
    return list(queryset.values(*fields))


def export_data(user: User) -> dict[str, Any]:
    """Every file's content (JSON-ready), keyed by file name."""
    from affiliation.models import Affiliate, Commission, Conversion, Link
    from analytics.models import AnalyticsRollup, Dimension, Granularity
    from core.models import AuditEvent
    from marketplace.models import Order, OrderLine
    from notifications.models import MessagingLink, Notification, NotificationPreference
    from payments.models import Invoice
    from payouts.models import WithdrawalRequest
    from privacy.models import ConsentRecord, ErasureRequest

    affiliations = _rows(
        Affiliate.objects.filter(user=user).order_by("id"),
        "id",
        "program_id",
        "program__name",
        "status",
        "referral_code",
        "joined_at",
        "leaderboard_opt_out",
    )
    profile = {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "affiliations": affiliations,
        "erasure_requests": _rows(
            ErasureRequest.objects.filter(user=user).order_by("id"),
            "id",
            "status",
            "reason",
            "requested_at",
            "due_at",
            "decided_at",
            "decision_reason",
        ),
    }
    links = _rows(
        Link.objects.filter(affiliate__user=user).order_by("id"),
        "id",
        "code",
        "title",
        "target_url",
        "program_id",
        "sub_ids",
        "utm",
        "created_at",
        "archived_at",
    )
    codes = {link["id"]: link["code"] for link in links}
    clicks = [
        {
            "link_id": int(row["dimension_value"]),
            "link__code": codes.get(int(row["dimension_value"]), ""),
            "day": row["bucket_start"].date(),
            "clicks": row["clicks"],
            "unique_clicks": row["unique_clicks"],
        }
        for row in AnalyticsRollup.objects.filter(
            granularity=Granularity.DAY,
            dimension=Dimension.LINK,
            affiliate_id__in=Affiliate.objects.filter(user=user).values("pk"),
        )
        .exclude(dimension_value="")
        .values("dimension_value", "bucket_start")
        .annotate(clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"))
        .order_by("bucket_start", "dimension_value")
    ]
    conversions = _rows(
        Conversion.objects.filter(affiliate__user=user).order_by("id"),
        "id",
        "source",
        "order_id",
        "program_id",
        "link_id",
        "offer_ref",
        "amount",
        "refunded_amount",
        "currency",
        "status",
        "occurred_at",
        "created_at",
    )
    commissions = _rows(
        Commission.objects.filter(beneficiary__user=user).order_by("id"),
        "id",
        "program_id",
        "conversion_id",
        "level",
        "kind",
        "is_recurring",
        "amount",
        "currency",
        "status",
        "available_at",
        "created_at",
    )
    withdrawals = _rows(
        WithdrawalRequest.objects.filter(affiliate__user=user).order_by("id"),
        "id",
        "amount",
        "currency",
        "method",
        "details",
        "status",
        "requested_at",
        "decided_at",
        "paid_at",
        "payment_reference",
        "rejection_reason",
    )
    orders = _rows(
        Order.objects.filter(customer=user).order_by("id"),
        "id",
        "number",
        "email",
        "status",
        "currency",
        "total",
        "refunded_amount",
        "payment_provider",
        "coupon_code",
        "created_at",
        "paid_at",
    )
    lines = _rows(
        OrderLine.objects.filter(order__customer=user).order_by("id"),
        "id",
        "order_id",
        "product_id",
        "title",
        "quantity",
        "unit_price",
        "line_total",
        "refunded_amount",
    )
    for order in orders:
        order["lines"] = [line for line in lines if line["order_id"] == order["id"]]
    invoices = _rows(
        Invoice.objects.filter(customer=user).order_by("id"),
        "id",
        "number",
        "issued_at",
        "customer_name",
        "customer_email",
        "currency",
        "subtotal",
        "vat_rate",
        "vat_amount",
        "total",
        "transaction_id",
        "seller",
        "legal_mentions",
        "pdf_key",
    )
    consents = _rows(
        ConsentRecord.objects.filter(user=user).order_by("recorded_at", "id"),
        "kind",
        "version",
        "granted",
        "source",
        "recorded_at",
    )
    audit = _rows(
        AuditEvent.objects.filter(
            Q(actor_id=user.pk) | Q(target_type=User._meta.label, target_id=str(user.pk))
        ).order_by("id"),
        "id",
        "action",
        "actor_id",
        "target_type",
        "target_id",
        "data",
        "created_at",
    )
    for entry in audit:
        # What they did to someone else: the action and when, not that person's details.
        if entry["target_type"] == User._meta.label and entry["target_id"] != str(user.pk):
            entry["target_id"] = ""
            entry["data"] = {}
    notifications = {
        "notifications": _rows(
            Notification.objects.filter(user=user).order_by("id"),
            "id",
            "kind",
            "title",
            "body",
            "url",
            "created_at",
            "read_at",
        ),
        "preferences": _rows(
            NotificationPreference.objects.filter(user=user).order_by("id"), "kind", "method", "enabled"
        ),
        "linked_chats": _rows(
            MessagingLink.objects.filter(user=user).order_by("id"),
            "method",
            "chat_id",
            "username",
            "linked_at",
        ),
    }
    return {
        "profile.json": profile,
        "links.json": links,
        "clicks_daily.json": clicks,
        "conversions.json": conversions,
        "commissions.json": commissions,
        "withdrawals.json": withdrawals,
        "orders.json": orders,
        "invoices.json": invoices,
        "consents.json": consents,
        "audit.json": audit,
        "notifications.json": notifications,
    }


def export_archive(user: User) -> bytes:
    """The ZIP: the JSON files, a README.txt, and ``invoices/<number>.pdf`` for each stored PDF."""
    data = export_data(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            f"Your data, exported on {timezone.now():%Y-%m-%d %H:%M} UTC.\n"
            "One JSON file per kind of data; clicks are daily totals per link; invoices/ holds "
            "the PDFs of your invoices.\n",
        )
        for name in FILES:
            archive.writestr(
                name, json.dumps(data[name], cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            )
        for invoice in data["invoices.json"]:
            key = invoice.pop("pdf_key")
            if key and default_storage.exists(key):
                with default_storage.open(key, "rb") as handle:
                    archive.writestr(f"invoices/{invoice['number']}.pdf", handle.read())
    return buffer.getvalue()
