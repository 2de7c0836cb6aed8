"""Privacy tasks. They take ids, run in the schema stamped in their headers (the brand that
enqueued them) and are idempotent. The beat jobs fan out to every brand, like the others."""

from __future__ import annotations

import logging

from django.conf import settings

from accounts.models import Role, User
from config.celery import app
from core.emails import send_brand_email
from core.tenancy import current_schema, tenant_connection
from privacy.models import ErasureRequest, ErasureStatus
from privacy.services import (
    data_export_build,
    data_export_fail,
    data_exports_expire,
    erasures_process_due,
    raw_rows_purge,
)
from tenants.selectors import brand_base_url, brand_list

logger = logging.getLogger(__name__)

PRIVACY_PAGE = "/account/privacy"
ADMIN_PAGE = "/admin/privacy"


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def data_export_build_task(export_id: int) -> None:
    """Build the ZIP, then email its owner that it is ready (the email points at the privacy page,
    which hands out a short-lived link: the email itself carries no download link)."""
    try:
        export = data_export_build(export_id=export_id)
    except OSError:
        raise  # storage or network: retried
    except Exception:
        data_export_fail(export_id=export_id)  # the user may ask again at once; the bug is raised
        raise
    if export is None:
        return
    tenant = tenant_connection().tenant
    url = f"{brand_base_url(tenant)}{PRIVACY_PAGE}"
    send_brand_email(
        to=[export.user.email],
        subject=f"Your data export from {tenant.name} is ready",
        text=(
            f"Hello,\n\nThe copy of your data you asked {tenant.name} for is ready. Download it from your "
            f"privacy page within {settings.PRIVACY_EXPORT_KEEP_DAYS} days (sign in first):\n\n{url}\n\n"
            "If you did not ask for it, change your password.\n"
        ),
        html_body_context={"action_url": url, "action_label": "Download my data"},
    )


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def erasure_requested_email_task(request_id: int) -> None:
    """Tell the brand's admins that a user asked to be erased, and when it will happen."""
    request = ErasureRequest.objects.select_related("user").filter(pk=request_id).first()
    if request is None or request.status != ErasureStatus.REQUESTED:
        return
    admins = list(
        User.objects.filter(role=Role.BRAND_ADMIN, is_active=True)
        .exclude(pk=request.user_id)
        .values_list("email", flat=True)
    )
    if not admins:
        return
    tenant = tenant_connection().tenant
    url = f"{brand_base_url(tenant)}{ADMIN_PAGE}"
    send_brand_email(
        to=admins,
        subject=f"Erasure request on {tenant.name}",
        text=(
            f"Hello,\n\nUser #{request.user_id} asked for their account to be erased on "
            f"{request.requested_at:%Y-%m-%d}. It will be anonymised on {request.due_at:%Y-%m-%d} "
            f"unless you process or refuse it before:\n\n{url}\n"
        ),
        html_body_context={"action_url": url, "action_label": "Review the request"},
    )


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def erasure_decided_email_task(request_id: int) -> None:
    """Tell the user that their request was refused, and why."""
    request = ErasureRequest.objects.select_related("user").filter(pk=request_id).first()
    if request is None or request.status != ErasureStatus.REFUSED:
        return
    tenant = tenant_connection().tenant
    send_brand_email(
        to=[request.user.email],
        subject=f"Your erasure request on {tenant.name}",
        text=(
            f"Hello,\n\n{tenant.name} could not erase your account for now, for this reason:\n\n"
            f"{request.decision_reason}\n\nReply to this email or use the contact form if you disagree.\n"
        ),
    )


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def erasure_completed_email_task(address: str) -> None:
    """The last email to the address: the account is gone (the address is not stored anywhere now)."""
    tenant = tenant_connection().tenant
    send_brand_email(
        to=[address],
        subject=f"Your account on {tenant.name} was erased",
        text=(
            f"Hello,\n\nAs you asked, your account on {tenant.name} was erased. We keep only what the law "
            "requires for accounting (invoices, amounts), without your name or email address.\n"
        ),
    )


@app.task
def privacy_erasures_due_task() -> None:
    """Beat job (public): process due erasure requests in every brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        privacy_brand_erasures_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def privacy_brand_erasures_task() -> None:
    done = erasures_process_due()
    if done:
        logger.info("processed %s erasure requests in %s", done, current_schema())


@app.task
def privacy_retention_task() -> None:
    """Beat job (public): delete raw rows past retention and expired exports in every brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        privacy_brand_retention_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def privacy_brand_retention_task() -> None:
    purged = raw_rows_purge()
    expired = data_exports_expire()
    if any(purged.values()) or expired:
        logger.info("retention in %s: %s, %s exports expired", current_schema(), purged, expired)
