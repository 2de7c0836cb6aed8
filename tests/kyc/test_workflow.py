"""The KYC profile: draft with field errors on every field, documents judged by content and
cleaned, submission checks, review transitions (illegal ones refused with codes), audit and
events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context
from PIL import Image

from accounts.models import Role
from core.models import AuditEvent, OutboxEvent
from kyc.models import KycDocument, KycStatus
from kyc.services import document_upload, profile_decide, profile_save_draft, profile_submit
from tests.conftest import make_user
from tests.kyc.builders import (
    BUSINESS,
    GPS_TAG,
    INDIVIDUAL,
    TODAY,
    complete_profile,
    jpeg_with_exif,
    pdf_bytes,
    png_bytes,
    upload_file,
)


def _errors(error: ValidationError) -> dict[str, str]:
    return {field: str(items[0].code) for field, items in error.error_dict.items()}


@pytest.fixture
def user(brand_a):
    with tenant_context(brand_a):
        yield make_user(brand_a, role=Role.AFFILIATE)


@pytest.fixture
def reviewer(brand_a, user):
    return make_user(brand_a, role=Role.BRAND_ADMIN)


def test_a_draft_reports_every_bad_field_at_once(user):
    with pytest.raises(ValidationError) as caught:
        profile_save_draft(
            user=user,
            values={
                "date_of_birth": TODAY - dt.timedelta(days=17 * 365),
                "id_type": "cin",
                "id_number": "12345",
                "id_expiry": TODAY - dt.timedelta(days=1),
                "nationality": "XX",
                "ice": "001561191000065",
                "rc": "ABC",
                "tax_id": "12",
                "vat_number": "12",
                "iban": "011519000001205000534922",
                "legal_name": "x" * 151,
            },
        )
    assert _errors(caught.value) == {
        "date_of_birth": "UNDERAGE",
        "id_number": "INVALID_CIN",
        "id_expiry": "ID_EXPIRED",
        "nationality": "INVALID_COUNTRY",
        "ice": "INVALID_ICE",
        "rc": "INVALID_RC",
        "tax_id": "INVALID_IF",
        "vat_number": "INVALID_TVA",
        "iban": "INVALID_RIB",
        "legal_name": "TOO_LONG",
    }


def test_a_good_draft_is_kept_compact(user):
    profile = profile_save_draft(
        user=user, values={**BUSINESS, "ice": "00 21 36 09 30 00 040", "id_number": "be 123456"}
    )
    assert profile.status == KycStatus.DRAFT
    assert (profile.ice, profile.id_number, profile.iban) == (
        "002136093000040",
        "BE123456",
        "MA64011519000001205000534921",
    )
    assert AuditEvent.objects.filter(action="kyc.draft_saved", target_id=str(profile.pk)).exists()


def test_changing_the_id_type_rechecks_the_number(user):
    profile_save_draft(user=user, values={"id_type": "cin", "id_number": "A1234"})
    with pytest.raises(ValidationError) as caught:
        profile_save_draft(user=user, values={"id_type": "passport"})
    assert _errors(caught.value) == {"id_number": "INVALID_PASSPORT"}


def test_images_lose_their_exif_and_are_stored_privately_under_the_brand(user):
    data = jpeg_with_exif()
    assert Image.open(__import__("io").BytesIO(data)).getexif().get(0x010F) == "SpyCam"
    document = upload_file(user, "id_front", data)
    assert document.content_type == "image/jpeg"
    assert document.file_key.startswith(f"kyc/{user.pk}/")
    assert document.file_key.endswith(".jpg")
    with default_storage.open(document.file_key, "rb") as handle:
        stored = handle.read()
    exif = Image.open(__import__("io").BytesIO(stored)).getexif()
    assert exif.get(0x010F) is None
    assert exif.get(GPS_TAG) is None
    assert len(exif) == 0
    assert b"SpyCam" not in stored
    # On S3 the key is under the brand's schema and the object is private (signed URLs only).
    assert default_storage.location.endswith(connection.schema_name)


def test_a_pdf_named_jpg_is_judged_by_its_content(user):
    document = document_upload(user=user, kind="id_front", file=ContentFile(pdf_bytes(), name="id.jpg"))
    assert document.content_type == "application/pdf"
    assert document.file_key.endswith(".pdf")


def test_png_stays_png(user):
    assert upload_file(user, "selfie", png_bytes()).content_type == "image/png"


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,  # a Windows executable
        b"\x7fELF\x02\x01\x01" + b"\x00" * 200,  # a Linux one
        b"<html><script>alert(1)</script></html>",
        b"GIF89a" + b"\x00" * 50,
    ],
)
def test_anything_but_images_and_pdfs_is_refused(user, data):
    with pytest.raises(ValidationError) as caught:
        document_upload(user=user, kind="id_front", file=ContentFile(data, name="id.jpg"))
    assert _errors(caught.value) == {"file": "UNSUPPORTED_FILE"}
    assert not KycDocument.objects.exists()


def test_a_20_mb_file_is_refused(user):
    with pytest.raises(ValidationError) as caught:
        document_upload(user=user, kind="id_front", file=ContentFile(pdf_bytes(20 * 1024 * 1024)))
    assert _errors(caught.value) == {"file": "FILE_TOO_LARGE"}


@override_settings(KYC_DOCUMENT_MAX_BYTES=1000)
def test_the_size_cap_is_a_setting(user):
    with pytest.raises(ValidationError):
        document_upload(user=user, kind="id_front", file=ContentFile(pdf_bytes(2000)))
    assert document_upload(user=user, kind="id_front", file=ContentFile(pdf_bytes(10)))


def test_an_expired_document_is_refused(user):
    with pytest.raises(ValidationError) as caught:
        upload_file(user, "id_front", expires_on=TODAY)
    assert _errors(caught.value) == {"expires_on": "ID_EXPIRED"}


def test_a_new_document_replaces_the_former_one_of_its_kind(user):
    first = upload_file(user, "id_front")
    second = upload_file(user, "id_front", png_bytes())
    assert list(KycDocument.objects.filter(kind="id_front")) == [second]
    assert first.pk != second.pk


def test_submit_lists_every_missing_field_and_document(user):
    profile_save_draft(user=user, values={"kind": "business", "legal_name": "Amina"})
    with pytest.raises(ValidationError) as caught:
        profile_submit(user=user)
    errors = _errors(caught.value)
    assert errors["documents"] == "MISSING_DOCUMENTS"
    assert errors["ice"] == errors["date_of_birth"] == errors["iban"] == "REQUIRED"
    assert "legal_name" not in errors


def test_review_transitions_audit_and_events(user, reviewer):
    profile = complete_profile(user)
    assert profile.status == KycStatus.SUBMITTED
    assert OutboxEvent.objects.filter(name="kyc.submitted", payload__user_id=user.pk).exists()

    asked = profile_decide(
        actor=reviewer, profile=profile, decision="needs_more_info", reason="The selfie is blurry."
    )
    assert (asked.status, asked.decision_reason) == ("needs_more_info", "The selfie is blurry.")
    upload_file(user, "selfie")
    again = profile_submit(user=user)
    assert again.status == KycStatus.SUBMITTED

    approved = profile_decide(actor=reviewer, profile=again, decision="approved")
    assert approved.status == KycStatus.APPROVED
    assert approved.decided_by_id == reviewer.pk
    decisions = list(
        AuditEvent.objects.filter(
            target_id=str(profile.pk), action__in=["kyc.needs_more_info", "kyc.approved"]
        )
        .order_by("id")
        .values_list("action", "actor_id", "subject_id")
    )
    assert decisions == [
        ("kyc.needs_more_info", reviewer.pk, user.pk),
        ("kyc.approved", reviewer.pk, user.pk),
    ]
    assert list(
        OutboxEvent.objects.filter(name="kyc.decided")
        .order_by("id")
        .values_list("payload__status", flat=True)
    ) == [
        "needs_more_info",
        "approved",
    ]


def test_rejection_needs_a_reason_and_can_be_followed_by_a_new_submission(user, reviewer):
    profile = complete_profile(user)
    with pytest.raises(ValidationError) as caught:
        profile_decide(actor=reviewer, profile=profile, decision="rejected", reason=" ")
    assert _errors(caught.value) == {"reason": "REASON_REQUIRED"}
    rejected = profile_decide(
        actor=reviewer, profile=profile, decision="rejected", reason="The ID is not yours."
    )
    assert rejected.status == "rejected"
    assert profile_submit(user=user).status == KycStatus.SUBMITTED


@pytest.mark.parametrize(
    ("setup", "decision"),
    [
        ("draft", "approved"),  # nothing submitted
        ("approved", "rejected"),  # decided already
        ("approved", "approved"),
        ("rejected", "approved"),
        ("needs_more_info", "approved"),  # waiting for the user
    ],
)
def test_illegal_transitions_are_refused_with_a_code(user, reviewer, setup, decision):
    if setup == "draft":
        profile = complete_profile(user, submit=False)
    else:
        profile = complete_profile(user)
        profile = profile_decide(actor=reviewer, profile=profile, decision=setup, reason="r")
    with pytest.raises(ValidationError) as caught:
        profile_decide(actor=reviewer, profile=profile, decision=decision, reason="again")
    assert _errors(caught.value) == {"status": "ILLEGAL_TRANSITION"}


def test_the_user_cannot_submit_twice_nor_edit_while_reviewed(user):
    complete_profile(user)
    with pytest.raises(ValidationError) as caught:
        profile_submit(user=user)
    assert _errors(caught.value) == {"status": "ILLEGAL_TRANSITION"}
    with pytest.raises(ValidationError) as caught:
        profile_save_draft(user=user, values={"city": "Rabat"})
    assert _errors(caught.value) == {"status": "NOT_EDITABLE"}
    with pytest.raises(ValidationError):
        upload_file(user, "selfie")


def test_a_reviewer_cannot_decide_on_their_own_profile(brand_a, reviewer):
    profile = complete_profile(reviewer)
    with pytest.raises(ValidationError) as caught:
        profile_decide(actor=reviewer, profile=profile, decision="approved")
    assert _errors(caught.value) == {"id": "NOT_ALLOWED"}


def test_editing_an_approved_profile_sends_it_back_to_review(user, reviewer):
    profile = profile_decide(actor=reviewer, profile=complete_profile(user), decision="approved")
    edited = profile_save_draft(user=user, values={"iban": "FR14 2004 1010 0505 0001 3M02 606"})
    assert profile.status == "approved"
    assert edited.status == KycStatus.DRAFT


def test_an_under_18_or_expired_id_cannot_be_submitted(user):
    complete_profile(user, submit=False)
    # Time passes: the ID saved earlier expires.
    with pytest.raises(ValidationError) as caught:
        profile_submit(user=user, today=INDIVIDUAL["id_expiry"])
    assert _errors(caught.value) == {"id_expiry": "ID_EXPIRED"}


def test_reviewers_hear_of_a_submission_and_the_user_of_the_decision(
    brand_a, user, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications.models import Notification
    from notifications.tasks import notification_email_task, user_message_task

    for task in (notification_email_task, user_message_task):
        monkeypatch.setattr(task, "apply_async", lambda *args, **kwargs: None)
    complete_profile(user, submit=False)
    with django_capture_on_commit_callbacks(execute=True):
        profile = profile_submit(user=user)
    (asked,) = Notification.objects.filter(user=reviewer, kind="kyc.submitted")
    assert (asked.title, asked.url) == ("Identity verification to review", "/admin/kyc")
    assert not Notification.objects.filter(user=user, kind="kyc.submitted").exists()

    with django_capture_on_commit_callbacks(execute=True):
        profile_decide(actor=reviewer, profile=profile, decision="rejected", reason="The ID is not yours.")
    (told,) = Notification.objects.filter(user=user, kind="kyc.decided")
    assert (told.title, told.body, told.url) == (
        "Identity verification rejected",
        "The ID is not yours.",
        "/account/kyc",
    )
