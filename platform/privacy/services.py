"""Writes on privacy: consents, the brand's legal documents and settings, data exports,
erasure requests (and the anonymisation they end in), and the retention of raw rows.

Services take the acting user, write an audit entry and enqueue their emails after commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiToken, MagicLink, Role, TwoFactor, TwoFactorBackupCode, User, UserSession
from core.audit import audit_log
from core.errors import field_error
from core.tasks import enqueue_on_commit
from privacy.error_codes import PrivacyErrorCode
from privacy.models import (
    BODY_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ConsentKind,
    ConsentRecord,
    ConsentSource,
    DataExport,
    DocumentKind,
    ErasureRequest,
    ErasureStatus,
    ExportStatus,
    LegalDocument,
    PrivacySettings,
)
from privacy.selectors import consent_state, current_versions, privacy_settings

RETENTION_MIN_DAYS = 1
RETENTION_MAX_DAYS = 3650
ERASURE_WINDOW_MAX_DAYS = 90  # the GDPR's one month, extendable by two


# --- consents ---------------------------------------------------------------------------------


def consent_record_signup(*, user: User, marketing_opt_in: bool) -> list[ConsentRecord]:
    """At signup the person accepted the brand's current terms and privacy policy (the form
    says so next to the button) and chose whether to receive marketing emails."""
    records = [
        ConsentRecord(user=user, kind=kind, version=version, granted=True, source=ConsentSource.SIGNUP)
        for kind, version in current_versions().items()
    ]
    records.append(
        ConsentRecord(
            user=user, kind=ConsentKind.MARKETING, granted=marketing_opt_in, source=ConsentSource.SIGNUP
        )
    )
    return ConsentRecord.objects.bulk_create(records)


def consent_accept_current(*, user: User) -> list[ConsentRecord]:
    """Accept the versions the brand publishes now (after a new version was published)."""
    state = consent_state(user)
    wanted = {
        DocumentKind.TERMS: (state.current_terms_version, state.terms_version),
        DocumentKind.PRIVACY: (state.current_privacy_version, state.privacy_version),
    }
    records = [
        ConsentRecord(user=user, kind=kind, version=current, granted=True, source=ConsentSource.REACCEPTANCE)
        for kind, (current, accepted) in wanted.items()
        if current > accepted
    ]
    if not records:
        raise field_error("consent", "There is nothing new to accept.", PrivacyErrorCode.NOTHING_TO_ACCEPT)
    created = ConsentRecord.objects.bulk_create(records)
    audit_log(
        actor=user,
        action="privacy.consent_accepted",
        target=user,
        versions={r.kind: r.version for r in created},
    )
    return created


def marketing_consent_set(*, user: User, opt_in: bool) -> ConsentRecord:
    record = ConsentRecord.objects.create(
        user=user, kind=ConsentKind.MARKETING, granted=opt_in, source=ConsentSource.SETTINGS
    )
    audit_log(actor=user, action="privacy.marketing_consent_set", target=user, opt_in=opt_in)
    return record


# --- the brand's documents and settings ----------------------------------------------------


def legal_document_publish(*, actor: User, kind: str, title: str, body: str) -> LegalDocument:
    """Publish the next version of the terms or the privacy policy. Users who accepted an older
    version are asked to accept this one the next time they use the app."""
    if kind not in DocumentKind.values:
        raise field_error("kind", "Choose the terms or the privacy policy.", PrivacyErrorCode.NOT_ALLOWED)
    title, body = title.strip(), body.strip()
    if not title:
        raise field_error("title", "Give the document a title.", PrivacyErrorCode.REQUIRED)
    if len(title) > TITLE_MAX_LENGTH:
        raise field_error("title", f"At most {TITLE_MAX_LENGTH} characters.", PrivacyErrorCode.TOO_LONG)
    if not body:
        raise field_error("body", "Write the document's text.", PrivacyErrorCode.REQUIRED)
    if len(body) > BODY_MAX_LENGTH:
        raise field_error("body", f"At most {BODY_MAX_LENGTH} characters.", PrivacyErrorCode.TOO_LONG)
    for _attempt in range(3):  # two admins publishing at once: the loser takes the next number
        latest = (
            LegalDocument.objects.filter(kind=kind)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        try:
            with transaction.atomic():
                document = LegalDocument.objects.create(
                    kind=kind, version=(latest or 0) + 1, title=title, body=body, published_by=actor
                )
                audit_log(
                    actor=actor,
                    action="privacy.document_published",
                    target=document,
                    kind=kind,
                    version=document.version,
                )
            return document
        except IntegrityError:
            continue
    raise field_error("body", "Someone else is publishing: try again.", PrivacyErrorCode.NOT_ALLOWED)


def _days(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise field_error(field, f"Between {low} and {high} days.", PrivacyErrorCode.OUT_OF_RANGE)
    return value


def privacy_settings_update(
    *,
    actor: User,
    erasure_window_days: int | None = None,
    click_retention_days: int | None = None,
    page_view_retention_days: int | None = None,
) -> PrivacySettings:
    row = privacy_settings()
    changes: dict[str, int] = {}
    if erasure_window_days is not None:
        changes["erasure_window_days"] = _days(
            "erasure_window_days", erasure_window_days, 0, ERASURE_WINDOW_MAX_DAYS
        )
    if click_retention_days is not None:
        changes["click_retention_days"] = _days(
            "click_retention_days", click_retention_days, RETENTION_MIN_DAYS, RETENTION_MAX_DAYS
        )
    if page_view_retention_days is not None:
        changes["page_view_retention_days"] = _days(
            "page_view_retention_days", page_view_retention_days, RETENTION_MIN_DAYS, RETENTION_MAX_DAYS
        )
    if changes:
        PrivacySettings.objects.filter(pk=row.pk).update(**changes)
        row.refresh_from_db()
        audit_log(actor=actor, action="privacy.settings_updated", target=row, **changes)
    return row


# --- data exports -------------------------------------------------------------------------


def data_export_request(*, user: User) -> DataExport:
    """Queue a ZIP of the user's data; at most one request per ``PRIVACY_EXPORT_INTERVAL_HOURS``
    (the user's row is locked, so two requests at once make one export)."""
    from privacy.tasks import data_export_build_task  # tasks import services

    window = dt.timedelta(hours=settings.PRIVACY_EXPORT_INTERVAL_HOURS)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        last = (
            DataExport.objects.filter(user=user)
            .exclude(status=ExportStatus.FAILED)
            .order_by("-requested_at")
            .first()
        )
        if last is not None and last.requested_at > timezone.now() - window:
            wait = last.requested_at + window - timezone.now()
            hours = max(1, int(wait.total_seconds() // 3600) + 1)
            raise field_error(
                "export",
                f"You can ask for one export every {settings.PRIVACY_EXPORT_INTERVAL_HOURS} hours: "
                f"try again in {hours} hours.",
                PrivacyErrorCode.RATE_LIMITED,
            )
        export = DataExport.objects.create(user=user)
        audit_log(actor=user, action="privacy.export_requested", target=export)
        enqueue_on_commit(data_export_build_task, export.pk)
    return export


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build and store the ZIP (idempotent: a ready export is left alone)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from privacy.export import export_archive, export_key

    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.PENDING:
        return None
    content = export_archive(export.user)
    name = default_storage.save(export_key(export), ContentFile(content))
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.READY,
        file_key=name,
        size_bytes=len(content),
        completed_at=now,
        expires_at=now + dt.timedelta(days=settings.PRIVACY_EXPORT_KEEP_DAYS),
    )
    export.refresh_from_db()
    return export


def data_export_fail(*, export_id: int) -> None:
    """Mark a pending export failed (it then does not count against the user's daily request)."""
    DataExport.objects.filter(pk=export_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.FAILED, completed_at=timezone.now()
    )


def data_exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of exports past ``expires_at``."""
    from django.core.files.storage import default_storage

    now = now or timezone.now()
    count = 0
    for export in DataExport.objects.filter(status=ExportStatus.READY, expires_at__lt=now):
        if export.file_key:
            default_storage.delete(export.file_key)
        DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.EXPIRED, file_key="")
        count += 1
    return count


# --- erasure -----------------------------------------------------------------------------


def _reason(field: str, reason: str, *, required: bool) -> str:
    reason = reason.strip()
    if required and not reason:
        raise field_error(field, "Give a reason.", PrivacyErrorCode.REQUIRED)
    if len(reason) > REASON_MAX_LENGTH:
        raise field_error(field, f"At most {REASON_MAX_LENGTH} characters.", PrivacyErrorCode.TOO_LONG)
    return reason


def erasure_request(*, user: User, reason: str = "") -> ErasureRequest:
    """Ask for the account to be erased. It is processed when the brand's legal window ends
    (or earlier by a brand admin); the brand's admins are emailed now."""
    from privacy.tasks import erasure_requested_email_task

    if user.role == Role.OPERATOR:
        raise field_error("user", "Operators are not brand users.", PrivacyErrorCode.NOT_ALLOWED)
    reason = _reason("reason", reason, required=False)
    window = dt.timedelta(days=privacy_settings().erasure_window_days)
    now = timezone.now()
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(
                user=user, reason=reason, requested_at=now, due_at=now + window
            )
            audit_log(actor=user, action="privacy.erasure_requested", target=request)
    except IntegrityError as error:  # the partial unique index: one open request per user
        raise field_error(
            "erasure",
            "You already asked for your account to be erased.",
            PrivacyErrorCode.ERASURE_ALREADY_REQUESTED,
        ) from error
    enqueue_on_commit(erasure_requested_email_task, request.pk)
    return request


def _locked_open(request_id: int) -> ErasureRequest:
    request = ErasureRequest.objects.select_for_update().select_related("user").get(pk=request_id)
    if request.status != ErasureStatus.REQUESTED:
        raise field_error("erasure", "This request is no longer pending.", PrivacyErrorCode.NOT_PENDING)
    return request


def erasure_cancel(*, user: User, request: ErasureRequest) -> ErasureRequest:
    with transaction.atomic():
        locked = _locked_open(request.pk)
        if locked.user_id != user.pk:
            raise field_error("erasure", "This request is not yours.", PrivacyErrorCode.NOT_ALLOWED)
        locked.status = ErasureStatus.CANCELLED
        locked.decided_at = timezone.now()
        locked.decided_by = user
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        audit_log(actor=user, action="privacy.erasure_cancelled", target=locked)
    return locked


def erasure_refuse(*, actor: User, request: ErasureRequest, reason: str) -> ErasureRequest:
    """A brand admin refuses (e.g. an open dispute or a legal hold), saying why; the user is told."""
    from privacy.tasks import erasure_decided_email_task

    reason = _reason("reason", reason, required=True)
    with transaction.atomic():
        locked = _locked_open(request.pk)
        locked.status = ErasureStatus.REFUSED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit_log(actor=actor, action="privacy.erasure_refused", target=locked, reason=reason)
        enqueue_on_commit(erasure_decided_email_task, locked.pk)
    return locked


def erasure_process(*, actor: User | None, request: ErasureRequest, reason: str = "") -> ErasureRequest:
    """Anonymise the account now (a brand admin, or the beat job when the window ends). The
    user is emailed before their address is erased (the email task gets the address)."""
    from privacy.tasks import erasure_completed_email_task

    reason = _reason("reason", reason, required=False) or (
        "Processed by a brand admin." if actor is not None else "The legal window elapsed."
    )
    with transaction.atomic():
        locked = _locked_open(request.pk)
        if actor is not None and locked.user_id == actor.pk:
            raise field_error(
                "erasure", "Another admin must process your own request.", PrivacyErrorCode.NOT_ALLOWED
            )
        address = locked.user.email
        locked.user = user_anonymise(user=locked.user)
        locked.status = ErasureStatus.COMPLETED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit_log(actor=actor, action="privacy.erasure_completed", target=locked, reason=reason)
        enqueue_on_commit(erasure_completed_email_task, address)
    return locked


def erasures_process_due(*, now: dt.datetime | None = None, batch_size: int = 100) -> int:
    """Process the requests whose legal window has ended (the beat job, per brand)."""
    now = now or timezone.now()
    done = 0
    due = list(
        ErasureRequest.objects.filter(status=ErasureStatus.REQUESTED, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    for request_id in due:
        request = ErasureRequest.objects.get(pk=request_id)
        try:
            erasure_process(actor=None, request=request)
        except ValidationError:  # cancelled or decided meanwhile: nothing to do
            continue
        done += 1
    return done


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@invalid"


def _sessions_of(user_id: int) -> list[str]:
    """The keys of the user's live sessions (session data is signed and encoded: decode each)."""
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            keys.append(session.session_key)
    return keys


def user_anonymise(*, user: User) -> User:
    """Replace the person's data in the brand by placeholders, keeping the rows that accounting
    needs (ledger entries, commissions, withdrawals' amounts, orders, invoices as issued).

    Gone: email (``erased-<id>@invalid``), name, password (unusable), pending signup password,
    sessions, API tokens, login links, payout details of withdrawals, the signup attribution, the
    address on orders, the payer's name and contact on payments (the invoice keeps what it
    printed), a merchant's public profile,
    contact messages' name and address, the email stored on the audit entries they made, their
    notifications and linked Telegram/WhatsApp chats.
    """
    from accounts.services import credentials_changed_publish
    from analytics.models import SignupAttribution
    from core.models import AuditEvent
    from marketplace.models import MerchantProfile, Order
    from notifications.models import MessagingLink, Notification, TelegramLinkToken
    from payments.models import Payment
    from payouts.models import WithdrawalRequest
    from support.models import ContactMessage

    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.email = erased_email(locked.pk)
    locked.full_name = ""
    locked.signup_password = ""
    locked.requested_role = ""
    locked.is_active = False
    locked.set_unusable_password()
    locked.save(
        update_fields=["email", "full_name", "signup_password", "requested_role", "is_active", "password"]
    )
    ApiToken.objects.filter(user=locked).delete()
    MagicLink.objects.filter(user=locked).delete()
    TwoFactor.objects.filter(user=locked).delete()
    TwoFactorBackupCode.objects.filter(user=locked).delete()
    Session.objects.filter(session_key__in=_sessions_of(locked.pk)).delete()
    UserSession.objects.filter(user=locked).delete()
    WithdrawalRequest.objects.filter(affiliate__user=locked).update(details={})
    SignupAttribution.objects.filter(user=locked).delete()
    Order.objects.filter(customer=locked).update(email=locked.email)
    Payment.objects.filter(payer=locked).update(
        payer_name="", payer_email=locked.email, payer_contact="", payer_contact_channel=""
    )
    MerchantProfile.objects.filter(user=locked).update(
        display_name=f"Merchant {locked.pk}", description="", website=""
    )
    ContactMessage.objects.filter(user=locked).update(name="", email=locked.email, message="", ip_hash="")
    Notification.objects.filter(user=locked).delete()
    MessagingLink.objects.filter(user=locked).delete()
    TelegramLinkToken.objects.filter(user=locked).delete()
    AuditEvent.objects.filter(actor_id=locked.pk).update(actor_email=locked.email)
    DataExport.objects.filter(user=locked).delete()  # the files go with the beat job's sweep below
    _export_files_delete(locked.pk)
    audit_log(actor=None, action="privacy.user_anonymised", target=locked)
    credentials_changed_publish(user_id=locked.pk)
    return locked


def _export_files_delete(user_id: int) -> None:
    from django.core.files.storage import default_storage

    from privacy.export import export_folder

    folder = export_folder(user_id)
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")


# --- retention ---------------------------------------------------------------------------


def raw_rows_purge(*, now: dt.datetime | None = None, batch_size: int = 5000) -> dict[str, int]:
    """Delete raw clicks (and their unique-click keys) and page-view keys older than the brand's
    retention, in batches of ``batch_size`` rows; rollups stay."""
    from analytics.models import PageSessionKey, PageVisitorKey
    from tracking.models import Click, UniqueClickKey

    now = now or timezone.now()
    row = privacy_settings()
    click_cutoff = now - dt.timedelta(days=row.click_retention_days)
    page_cutoff = (now - dt.timedelta(days=row.page_view_retention_days)).date()
    deleted = {"clicks": 0, "unique_click_keys": 0, "page_visitor_keys": 0, "page_session_keys": 0}
    batches: list[tuple[str, Any, str, Any]] = [
        ("clicks", Click, "created_at", click_cutoff),
        ("unique_click_keys", UniqueClickKey, "hour", click_cutoff),
        ("page_visitor_keys", PageVisitorKey, "day", page_cutoff),
        ("page_session_keys", PageSessionKey, "day", page_cutoff),
    ]
    for label, model, column, cutoff in batches:
        while True:
            ids = list(
                model.objects.filter(**{f"{column}__lt": cutoff}).values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            count, _ = model.objects.filter(pk__in=ids).delete()
            deleted[label] += count
            if len(ids) < batch_size:
                break
    return deleted
