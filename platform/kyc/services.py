"""Writes on KYC: a user's draft (every field validated, every error reported at once), their
documents, submission, the reviewers' decisions (audited, evented), the brand's settings, and
the beat jobs' work: the expiry watcher and the retention purge.

Status machine::

    draft ──submit──▶ submitted ──▶ approved ──(ID or document expires)──▶ expired
                          │    └──▶ rejected (reason)
                          └──────▶ needs_more_info (message)
    needs_more_info, rejected, expired ──submit──▶ submitted

Editing an approved profile (or uploading a document to it) sends it back to draft: it must be
reviewed again before the user is paid.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import Role, User
from core.audit import audit_log
from core.errors import field_error
from core.events import emit
from core.models import AuditEvent
from core.tenancy import current_schema
from kyc import validators
from kyc.documents import clean_document, read_capped
from kyc.error_codes import KycErrorCode as Code
from kyc.models import DocumentKind, IdType, KycDocument, KycProfile, KycSettings, KycStatus, ProfileKind
from kyc.selectors import documents_of, earliest_expiry, kyc_settings, required_document_kinds

TRANSITIONS: dict[str, set[str]] = {
    KycStatus.DRAFT: {KycStatus.SUBMITTED},
    KycStatus.SUBMITTED: {KycStatus.APPROVED, KycStatus.REJECTED, KycStatus.NEEDS_MORE_INFO},
    KycStatus.NEEDS_MORE_INFO: {KycStatus.SUBMITTED},
    KycStatus.REJECTED: {KycStatus.SUBMITTED},
    KycStatus.APPROVED: {KycStatus.EXPIRED},
    KycStatus.EXPIRED: {KycStatus.SUBMITTED},
}
DECISIONS = (KycStatus.APPROVED, KycStatus.REJECTED, KycStatus.NEEDS_MORE_INFO)
EDITABLE = (
    KycStatus.DRAFT,
    KycStatus.NEEDS_MORE_INFO,
    KycStatus.REJECTED,
    KycStatus.EXPIRED,
    KycStatus.APPROVED,
)
REASON_MAX_LENGTH = 1000
THRESHOLD_MAX = Decimal("1000000000")
RETENTION_MAX_DAYS = 3650

TEXT_FIELDS = {
    "legal_name": 150,
    "address": 300,
    "city": 100,
    "postal_code": 20,
    "company_name": 200,
    "legal_representative": 150,
    "registered_address": 300,
}
INDIVIDUAL_REQUIRED = (
    "legal_name",
    "date_of_birth",
    "nationality",
    "address",
    "city",
    "country",
    "id_type",
    "id_number",
    "id_expiry",
    "iban",
)
BUSINESS_REQUIRED = ("company_name", "ice", "rc", "tax_id", "legal_representative", "registered_address")
FIELDS = (
    "kind",
    *TEXT_FIELDS,
    "date_of_birth",
    "nationality",
    "country",
    "id_type",
    "id_number",
    "id_expiry",
    "ice",
    "rc",
    "tax_id",
    "vat_number",
    "iban",
)


def _add(errors: dict[str, list[ValidationError]], field: str, error: ValidationError) -> None:
    errors.setdefault(field, []).extend(error.error_list)


def _raise_if(errors: dict[str, list[ValidationError]]) -> None:
    if errors:
        raise ValidationError(errors)


def profile_get_or_create(user: User) -> KycProfile:
    profile, _ = KycProfile.objects.get_or_create(user=user)
    return profile


def _locked_profile(user: User) -> KycProfile:
    profile_get_or_create(user)
    return KycProfile.objects.select_for_update().get(user=user)


def _editable(profile: KycProfile) -> None:
    if profile.status not in EDITABLE:
        raise field_error(
            "status", "Your profile is being reviewed: wait for the decision to change it.", Code.NOT_EDITABLE
        )


def _back_to_draft(profile: KycProfile) -> None:
    """Changing an approved profile: it must be reviewed again."""
    if profile.status == KycStatus.APPROVED:
        profile.status = KycStatus.DRAFT


def _clean_values(values: dict[str, Any], *, kind: str, id_type: str, today: dt.date) -> dict[str, Any]:
    """Validate every given field; all errors at once, on their fields."""
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field not in FIELDS:
            continue
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
        try:
            if field == "kind":
                if value not in ProfileKind.values:
                    raise ValidationError("Choose individual or business.", code=Code.INVALID)
            elif field in TEXT_FIELDS:
                if len(value) > TEXT_FIELDS[field]:
                    raise ValidationError(f"At most {TEXT_FIELDS[field]} characters.", code=Code.TOO_LONG)
            elif value == "":
                pass  # clearing a field
            elif field == "date_of_birth":
                value = validators.adult_validate(value, today=today)
            elif field == "id_expiry":
                value = validators.not_expired_validate(value, today=today)
            elif field in ("nationality", "country"):
                value = validators.country_validate(value)
            elif field == "id_type":
                if value not in IdType.values:
                    raise ValidationError("Choose a CIN, a passport or a residence card.", code=Code.INVALID)
            elif field == "id_number":
                value = validators.id_number_validate(id_type, value)
            elif field == "ice":
                value = validators.ice_validate(value)
            elif field == "rc":
                value = validators.rc_validate(value)
            elif field == "tax_id":
                value = validators.if_validate(value)
            elif field == "vat_number":
                value = validators.tva_validate(value)
            elif field == "iban":
                value = validators.bank_account_validate(value)
        except ValidationError as error:
            _add(errors, field, error)
            continue
        cleaned[field] = value
    _raise_if(errors)
    return cleaned


def profile_save_draft(*, user: User, values: dict[str, Any], today: dt.date | None = None) -> KycProfile:
    """Save what the user typed (fields absent or None are left as they are; "" clears one)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        profile = _locked_profile(user)
        _editable(profile)
        kind = values.get("kind") or profile.kind
        id_type = str(values.get("id_type") or profile.id_type or "")
        cleaned = _clean_values(values, kind=kind, id_type=id_type, today=today)
        if "id_type" in cleaned and "id_number" not in cleaned and profile.id_number:
            # The number was checked against the former type: check it against the new one.
            try:
                validators.id_number_validate(cleaned["id_type"], profile.id_number)
            except ValidationError as error:
                raise ValidationError({"id_number": error.error_list}) from error
        changed = [field for field, value in cleaned.items() if getattr(profile, field) != value]
        for field in changed:
            setattr(profile, field, cleaned[field])
        if changed:
            _back_to_draft(profile)
            profile.save()
            audit_log(actor=user, action="kyc.draft_saved", target=profile, fields=sorted(changed))
    return profile


def document_upload(
    *, user: User, kind: str, file: Any, expires_on: dt.date | None = None, today: dt.date | None = None
) -> KycDocument:
    """Store a document in the brand's private storage (checked by content, images cleaned of
    their metadata); it replaces the profile's former document of that kind."""
    today = today or timezone.localdate()
    if kind not in DocumentKind.values:
        raise field_error("kind", "Choose what this document is.", Code.INVALID)
    if expires_on is not None:
        try:
            validators.not_expired_validate(expires_on, today=today)
        except ValidationError as error:
            raise ValidationError({"expires_on": error.error_list}) from error
    try:
        clean = clean_document(read_capped(file))
    except ValidationError as error:
        raise ValidationError({"file": error.error_list}) from error
    key = default_storage.save(
        f"kyc/{user.pk}/{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.content)
    )
    try:
        with transaction.atomic():
            profile = _locked_profile(user)
            _editable(profile)
            former = list(KycDocument.objects.filter(profile=profile, kind=kind))
            document = KycDocument.objects.create(
                profile=profile,
                kind=kind,
                file_key=key,
                content_type=clean.content_type,
                size_bytes=len(clean.content),
                expires_on=expires_on,
            )
            for old in former:
                old.delete()
            _files_delete_on_commit([old.file_key for old in former])
            if profile.status == KycStatus.APPROVED:
                _back_to_draft(profile)
                profile.save(update_fields=["status", "updated_at"])
            audit_log(
                actor=user, action="kyc.document_uploaded", target=profile, kind=kind, document=document.pk
            )
    except BaseException:
        default_storage.delete(key)
        raise
    return document


def document_delete(*, user: User, document: KycDocument) -> None:
    with transaction.atomic():
        profile = _locked_profile(user)
        _editable(profile)
        if document.profile_id != profile.pk:
            raise field_error("id", "No such document.", Code.NOT_ALLOWED)
        audit_log(actor=user, action="kyc.document_deleted", target=profile, kind=document.kind)
        document.delete()
        _files_delete_on_commit([document.file_key])


def _files_delete_on_commit(keys: list[str]) -> None:
    schema_name = current_schema()

    def delete() -> None:
        with schema_context(schema_name):
            for key in keys:
                default_storage.delete(key)

    if keys:
        transaction.on_commit(delete)


def _transition_check(profile: KycProfile, to: str) -> None:
    if to not in TRANSITIONS[profile.status]:
        raise field_error(
            "status",
            f"A {profile.get_status_display().lower()} profile cannot become {to.replace('_', ' ')}.",
            Code.ILLEGAL_TRANSITION,
        )


def profile_submit(*, user: User, today: dt.date | None = None) -> KycProfile:
    """Send the profile for review: every required field and document is checked, all errors at once."""
    today = today or timezone.localdate()
    with transaction.atomic():
        profile = _locked_profile(user)
        _transition_check(profile, KycStatus.SUBMITTED)
        errors: dict[str, list[ValidationError]] = {}
        required = INDIVIDUAL_REQUIRED + (BUSINESS_REQUIRED if profile.kind == ProfileKind.BUSINESS else ())
        for field in required:
            if getattr(profile, field) in ("", None):
                _add(errors, field, ValidationError("This field is required.", code=Code.REQUIRED))
        if profile.date_of_birth:
            try:
                validators.adult_validate(profile.date_of_birth, today=today)
            except ValidationError as error:
                _add(errors, "date_of_birth", error)
        if profile.id_expiry:
            try:
                validators.not_expired_validate(profile.id_expiry, today=today)
            except ValidationError as error:
                _add(errors, "id_expiry", error)
        documents = list(documents_of(profile))
        present = {d.kind for d in documents}
        missing = [kind for kind in required_document_kinds(profile) if kind not in present]
        if missing:
            _add(
                errors,
                "documents",
                ValidationError(
                    f"Upload these documents: {', '.join(missing)}.", code=Code.MISSING_DOCUMENTS
                ),
            )
        for document in documents:
            if document.expires_on and document.expires_on <= today:
                _add(
                    errors,
                    "documents",
                    ValidationError(f"The {document.kind} document has expired.", code=Code.ID_EXPIRED),
                )
        _raise_if(errors)
        profile.status = KycStatus.SUBMITTED
        profile.submitted_at = timezone.now()
        profile.decision_reason = ""
        profile.save()
        audit_log(actor=user, action="kyc.submitted", target=profile)
        emit("kyc.submitted", {"profile_id": profile.pk, "user_id": user.pk, "kind": profile.kind})
    return profile


def profile_decide(*, actor: User, profile: KycProfile, decision: str, reason: str = "") -> KycProfile:
    """A reviewer's decision on a submitted profile: approved, rejected (with the reason) or
    needs_more_info (with what is missing). Audited and evented; the user is notified."""
    reason = (reason or "").strip()
    if decision not in DECISIONS:
        raise field_error("decision", "Approve, reject or ask for more information.", Code.INVALID)
    if decision != KycStatus.APPROVED and not reason:
        raise field_error("reason", "Tell the user why, or what is missing.", Code.REASON_REQUIRED)
    if len(reason) > REASON_MAX_LENGTH:
        raise field_error("reason", f"At most {REASON_MAX_LENGTH} characters.", Code.TOO_LONG)
    with transaction.atomic():
        locked = KycProfile.objects.select_for_update().get(pk=profile.pk)
        if locked.user_id == actor.pk:
            raise field_error("id", "You cannot review your own profile.", Code.NOT_ALLOWED)
        _transition_check(locked, decision)
        previous = locked.status
        locked.status = decision
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = "" if decision == KycStatus.APPROVED else reason
        locked.save()
        audit_log(
            actor=actor,
            action=f"kyc.{decision}",
            target=locked,
            subject=locked.user,
            previous_status=previous,
            reason=locked.decision_reason,
        )
        emit(
            "kyc.decided",
            {
                "profile_id": locked.pk,
                "user_id": locked.user_id,
                "status": decision,
                "reason": locked.decision_reason,
            },
        )
    return locked


def kyc_settings_update(
    *,
    actor: User,
    required_roles: list[str] | None = None,
    payout_threshold: Any = None,
    retention_days: int | None = None,
) -> KycSettings:
    row = kyc_settings()
    errors: dict[str, list[ValidationError]] = {}
    changes: dict[str, Any] = {}
    if required_roles is not None:
        roles = sorted(set(required_roles))
        if any(role not in (Role.AFFILIATE, Role.MERCHANT) for role in roles):
            _add(
                errors,
                "required_roles",
                ValidationError("Choose affiliates and/or merchants.", code=Code.INVALID),
            )
        else:
            changes["required_roles"] = roles
    if payout_threshold is not None:
        try:
            value = Decimal(str(payout_threshold)).quantize(Decimal("0.01"))
            if not (0 <= value <= THRESHOLD_MAX):
                raise InvalidOperation
            changes["payout_threshold"] = value
        except (InvalidOperation, ValueError):
            _add(
                errors,
                "payout_threshold",
                ValidationError(f"Between 0 and {THRESHOLD_MAX}.", code=Code.OUT_OF_RANGE),
            )
    if retention_days is not None:
        if not (1 <= int(retention_days) <= RETENTION_MAX_DAYS):
            _add(
                errors,
                "retention_days",
                ValidationError(f"Between 1 and {RETENTION_MAX_DAYS} days.", code=Code.OUT_OF_RANGE),
            )
        else:
            changes["retention_days"] = int(retention_days)
    _raise_if(errors)
    if changes:
        KycSettings.objects.filter(pk=row.pk).update(**changes)
        row.refresh_from_db()
        audit_log(
            actor=actor, action="kyc.settings_updated", target=row, **{k: str(v) for k, v in changes.items()}
        )
    return row


# --- beat jobs ---------------------------------------------------------------------------------


def kyc_expiry_sweep(*, today: dt.date | None = None, warning_days: int = 30) -> dict[str, int]:
    """Warn users whose ID or a document expires within ``warning_days`` (once per date), and
    expire approved profiles whose ID or a document has expired."""
    today = today or timezone.localdate()
    counts = {"warned": 0, "expired": 0}
    candidates = KycProfile.objects.filter(
        status__in=[KycStatus.APPROVED, KycStatus.SUBMITTED, KycStatus.NEEDS_MORE_INFO]
    ).values_list("pk", flat=True)
    for profile_id in candidates.iterator():
        with transaction.atomic():
            profile = KycProfile.objects.select_for_update().filter(pk=profile_id).first()
            if profile is None:
                continue
            expiry = earliest_expiry(profile)
            if expiry is None:
                continue
            if expiry <= today and profile.status == KycStatus.APPROVED:
                profile.status = KycStatus.EXPIRED
                profile.save(update_fields=["status", "updated_at"])
                audit_log(
                    actor=None,
                    action="kyc.expired",
                    target=profile,
                    subject=profile.user,
                    expires_on=str(expiry),
                )
                emit(
                    "kyc.expired",
                    {"profile_id": profile.pk, "user_id": profile.user_id, "expires_on": expiry},
                )
                counts["expired"] += 1
            elif (
                today < expiry <= today + dt.timedelta(days=warning_days)
                and profile.expiry_notified_for != expiry
            ):
                profile.expiry_notified_for = expiry
                profile.save(update_fields=["expiry_notified_for", "updated_at"])
                emit(
                    "kyc.expiring",
                    {"profile_id": profile.pk, "user_id": profile.user_id, "expires_on": expiry},
                )
                counts["warned"] += 1
    return counts


PURGED_FIELDS = (
    "legal_name",
    "date_of_birth",
    "address",
    "city",
    "postal_code",
    "id_number",
    "id_expiry",
    "iban",
    "legal_representative",
)
CLOSURE_ACTIONS = ("user.deactivated", "privacy.user_anonymised")


def _closed_since(user_id: int) -> dt.datetime | None:
    """When the account was closed (deactivated or erased), from the audit log."""
    return (
        AuditEvent.objects.filter(action__in=CLOSURE_ACTIONS, subject_id=user_id)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def kyc_retention_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the documents of accounts closed more than the brand's ``retention_days`` ago (the
    files, then the rows) with the person's identity fields; the profile keeps its decision for
    the audit (an approved one becomes expired). Returns the number of documents deleted."""
    now = now or timezone.now()
    days = kyc_settings().retention_days
    # A reactivated account's clock starts again at its next closure.
    KycProfile.objects.filter(user__is_active=True, closed_at__isnull=False).update(closed_at=None)
    deleted = 0
    for profile in KycProfile.objects.filter(user__is_active=False).select_related("user"):
        if profile.closed_at is None:
            profile.closed_at = _closed_since(profile.user_id) or now
            profile.save(update_fields=["closed_at", "updated_at"])
        if profile.closed_at + dt.timedelta(days=days) > now:
            continue
        with transaction.atomic():
            documents = list(KycDocument.objects.select_for_update().filter(profile=profile))
            if not documents:
                continue
            KycDocument.objects.filter(pk__in=[d.pk for d in documents]).delete()
            # The identity goes with its proofs: an account reopened later is verified afresh.
            for field in PURGED_FIELDS:
                setattr(profile, field, None if field in ("date_of_birth", "id_expiry") else "")
            if profile.status == KycStatus.APPROVED:
                profile.status = KycStatus.EXPIRED
            profile.documents_purged_at = now
            profile.save()
            audit_log(
                actor=None,
                action="kyc.documents_purged",
                target=profile,
                subject=profile.user,
                count=len(documents),
            )
            _files_delete_on_commit([d.file_key for d in documents])
            deleted += len(documents)
    return deleted
