"""Account tasks. They take IDs, run in the schema of the brand that enqueued them
(tenant-schemas-celery reads it from the message headers) and are idempotent."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode

from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.invitations import invitation_send
from accounts.models import Invitation, MagicLink, Role, User
from accounts.services import magic_link_send
from config.celery import app
from core.emails import send_brand_email
from core.tenancy import current_schema, tenant_connection
from tenants.selectors import brand_base_url, brand_list

logger = logging.getLogger(__name__)


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def send_magic_link_task(magic_link_id: int) -> None:
    """Email a login link. Sent at most once per link, even if the task runs twice; a failed
    send (SMTP down) is retried with a fresh secret."""
    tenant = tenant_connection().tenant

    def deliver(link: MagicLink, secret: str) -> None:
        url = f"{brand_base_url(tenant)}/login/magic?{urlencode({'token': secret})}"
        send_brand_email(
            to=[link.user.email],
            subject=f"Your login link for {tenant.name}",
            text=(
                f"Hello,\n\nUse this link to log in to {tenant.name}. It works once, for 15 minutes:\n\n"
                f"{url}\n\nIf you did not ask for it, ignore this email.\n"
            ),
            html_body_context={"action_url": url, "action_label": "Log in"},
        )

    if not magic_link_send(link_id=magic_link_id, deliver=deliver):
        logger.info("magic link %s already sent or expired; nothing to do", magic_link_id)


ROLE_PHRASES: dict[str, str] = {
    Role.BRAND_ADMIN: "as a brand admin",
    Role.STAFF: "as a member of the support staff",
    Role.MERCHANT: "as a merchant",
}


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def send_invitation_task(invitation_id: int) -> None:
    """Email an invitation's link, on the brand's own host. Sent once per token (a resend
    makes a new one); a failed send is retried with a fresh token."""
    tenant = tenant_connection().tenant

    def deliver(invitation: Invitation, secret: str) -> None:
        url = f"{brand_base_url(tenant)}/invitation/accept?{urlencode({'token': secret})}"
        inviter = invitation.inviter.email if invitation.inviter_id and invitation.inviter else ""
        by = f" by {inviter}" if inviter else ""
        send_brand_email(
            to=[invitation.email],
            subject=f"You are invited to {tenant.name}",
            text=(
                f"Hello,\n\nYou are invited{by} to join {tenant.name} "
                f"{ROLE_PHRASES.get(invitation.role, '')}.\n\n"
                f"Accept the invitation and choose your password here (the link works once, "
                f"for 7 days):\n\n{url}\n\nIf you did not expect it, ignore this email.\n"
            ),
            html_body_context={"action_url": url, "action_label": "Accept the invitation"},
        )

    if not invitation_send(invitation_id=invitation_id, deliver=deliver):
        logger.info("invitation %s already sent, closed or expired; nothing to do", invitation_id)


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def send_signup_attempt_task(user_id: int) -> None:
    """Tell an account's owner that someone tried to sign up with their address (signup answers
    the same as for a new address, so this email is the only trace)."""
    tenant = tenant_connection().tenant
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    login_url = f"{brand_base_url(tenant)}/login"
    send_brand_email(
        to=[user.email],
        subject=f"Someone tried to sign up to {tenant.name} with your address",
        text=(
            f"Hello,\n\nSomeone just tried to create an account on {tenant.name} with this email "
            "address, which already has one. Nothing was changed.\n\n"
            f"If it was you, log in instead: {login_url} (a login link by email works too).\n\n"
            "If it was not you, you can ignore this email.\n"
        ),
        html_body_context={"action_url": login_url, "action_label": "Log in"},
    )


@app.task
def purge_expired_auth_artifacts_task() -> None:
    """Beat job (public): fan out the clean-up to every brand, each in its own schema."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        purge_brand_auth_artifacts_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def purge_brand_auth_artifacts_task() -> None:
    """Delete login links a day past expiry and expired sessions of the current brand."""
    cutoff = timezone.now() - dt.timedelta(days=1)
    deleted_links, _ = MagicLink.objects.filter(expires_at__lt=cutoff).delete()
    deleted_sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info(
        "purged %s login links and %s sessions in %s", deleted_links, deleted_sessions, current_schema()
    )
