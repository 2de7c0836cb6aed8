"""KYC over GraphQL and HTTP: multipart uploads judged by content, field errors with codes,
permissions (an affiliate cannot review), the reviewer's signed links and cross-brand isolation
(a reviewer of brand A cannot fetch brand B's document, by id, by URL or with a signed link)."""

from __future__ import annotations

import io
import time
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context
from PIL import Image

from accounts.models import Role
from core.models import AuditEvent
from kyc.models import KycDocument, KycProfile
from tests.conftest import domain_of, make_user
from tests.kyc.builders import GPS_TAG, complete_profile, gql_upload, jpeg_with_exif, pdf_bytes

QUEUE = "query($s: KycStatus) { kycReviewQueue(status: $s) { id userEmail status documents { id kind contentType } } }"
DECIDE = """mutation($id: ID!, $d: KycDecision!, $r: String!) {
  kycDecide(id: $id, decision: $d, reason: $r) { profile { id status decisionReason } errors { field code } } }"""
LINK = "mutation($id: ID!) { kycDocumentLink(id: $id) { url errors { field code } } }"
SAVE = """mutation($i: KycProfileInput!) {
  kycSaveDraft(input: $i) { profile { status iban idNumber } errors { field code message } } }"""
SUBMIT = "mutation { kycSubmit { profile { status } errors { field code } } }"
MY = "{ myKyc { status kind documents { kind contentType } requiredDocuments decisionReason } }"
SETTINGS = """mutation($i: KycSettingsInput!) {
  kycSettingsUpdate(input: $i) { settings { requiredRoles payoutThreshold retentionDays } errors { field code } } }"""


@pytest.fixture
def people(brand_a, brand_b):
    """An affiliate with a submitted profile and a reviewer in each brand."""
    out = {}
    for name, brand in (("a", brand_a), ("b", brand_b)):
        with tenant_context(brand):
            affiliate = make_user(brand, role=Role.AFFILIATE)
            reviewer = make_user(brand, role=Role.BRAND_ADMIN)
            profile = complete_profile(affiliate)
            out[name] = {
                "brand": brand,
                "affiliate": affiliate,
                "reviewer": reviewer,
                "profile": profile,
                "document": KycDocument.objects.filter(profile=profile).first(),
            }
    return out


def test_upload_by_multipart_judges_by_content_and_strips_exif(brand_a, gql):
    with tenant_context(brand_a):
        user = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a, user)

    body = gql_upload(client, "ID_FRONT", jpeg_with_exif())
    document = body["data"]["kycDocumentUpload"]["document"]
    assert body["data"]["kycDocumentUpload"]["errors"] == []
    assert document["contentType"] == "image/jpeg"
    with tenant_context(brand_a):
        stored = KycDocument.objects.get(pk=document["id"])
        with default_storage.open(stored.file_key, "rb") as handle:
            exif = Image.open(io.BytesIO(handle.read())).getexif()
    assert exif.get(GPS_TAG) is None
    assert exif.get(0x010F) is None

    renamed = gql_upload(client, "ID_BACK", pdf_bytes(), name="scan.jpg", content_type="image/jpeg")
    assert renamed["data"]["kycDocumentUpload"]["document"]["contentType"] == "application/pdf"

    exe = gql_upload(client, "SELFIE", b"MZ\x90\x00" + b"\x00" * 500, name="me.jpg")
    assert exe["data"]["kycDocumentUpload"] == {
        "document": None,
        "errors": [{"field": "file", "code": "UNSUPPORTED_FILE", "message": mock.ANY}],
    }


def test_a_20_mb_upload_is_refused(brand_a, gql):
    with tenant_context(brand_a):
        user = make_user(brand_a, role=Role.AFFILIATE)
    body = gql_upload(gql(brand_a, user), "ID_FRONT", pdf_bytes(20 * 1024 * 1024), name="big.pdf")
    # Refused before Django reads it (the multipart cap) or by the service: never stored.
    if body.get("status") != 413:
        assert body["data"]["kycDocumentUpload"]["errors"][0]["code"] == "FILE_TOO_LARGE"
    with tenant_context(brand_a):
        assert not KycDocument.objects.exists()


def test_draft_errors_come_on_their_fields_and_submit_lists_what_is_missing(brand_a, gql):
    with tenant_context(brand_a):
        user = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a, user)
    result = client.data(
        SAVE,
        {"i": {"idType": "CIN", "idNumber": "12", "iban": "0115", "dateOfBirth": "2015-01-01", "ice": "1"}},
    )["kycSaveDraft"]
    assert {(e["field"], e["code"]) for e in result["errors"]} == {
        ("idNumber", "INVALID_CIN"),
        ("iban", "INVALID_RIB"),
        ("dateOfBirth", "UNDERAGE"),
        ("ice", "INVALID_ICE"),
    }
    assert result["profile"]["status"] == "DRAFT"  # kept on error
    ok = client.data(
        SAVE, {"i": {"iban": "011519000001205000534921", "idType": "CIN", "idNumber": "be 123456"}}
    )
    assert ok["kycSaveDraft"]["profile"] == {
        "status": "DRAFT",
        "iban": "MA64011519000001205000534921",
        "idNumber": "BE123456",
    }
    submit = client.data(SUBMIT)["kycSubmit"]
    assert ("documents", "MISSING_DOCUMENTS") in {(e["field"], e["code"]) for e in submit["errors"]}
    assert ("legalName", "REQUIRED") in {(e["field"], e["code"]) for e in submit["errors"]}


def test_an_affiliate_cannot_review(people, gql):
    a = people["a"]
    client = gql(a["brand"], a["affiliate"])
    assert client.execute(QUEUE)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = client.execute(DECIDE, {"id": str(a["profile"].pk), "d": "APPROVED", "r": ""})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (
        client.execute(LINK, {"id": str(a["document"].pk)})["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    )
    with tenant_context(a["brand"]):
        assert KycProfile.objects.get(pk=a["profile"].pk).status == "submitted"


def test_a_reviewer_decides_and_the_user_sees_the_reason(people, gql):
    a = people["a"]
    reviewer = gql(a["brand"], a["reviewer"])
    queue = reviewer.data(QUEUE)["kycReviewQueue"]
    assert [row["userEmail"] for row in queue] == [a["affiliate"].email]  # only brand A's
    decided = reviewer.data(DECIDE, {"id": str(a["profile"].pk), "d": "REJECTED", "r": "Blurry ID."})[
        "kycDecide"
    ]
    assert decided == {
        "profile": {"id": str(a["profile"].pk), "status": "REJECTED", "decisionReason": "Blurry ID."},
        "errors": [],
    }
    again = reviewer.data(DECIDE, {"id": str(a["profile"].pk), "d": "APPROVED", "r": ""})["kycDecide"]
    assert again["errors"] == [{"field": "status", "code": "ILLEGAL_TRANSITION"}]
    mine = gql(a["brand"], a["affiliate"]).data(MY)["myKyc"]
    assert (mine["status"], mine["decisionReason"]) == ("REJECTED", "Blurry ID.")
    with tenant_context(a["brand"]):
        assert AuditEvent.objects.filter(action="kyc.rejected", actor_id=a["reviewer"].pk).count() == 1


def test_signed_links_serve_the_document_to_their_reviewer_only(people, gql):
    a = people["a"]
    host = domain_of(a["brand"])
    reviewer = gql(a["brand"], a["reviewer"])
    url = reviewer.data(LINK, {"id": str(a["document"].pk)})["kycDocumentLink"]["url"]
    assert url.startswith(f"/kyc/documents/{a['document'].pk}?token=")
    response = reviewer.client.get(url, HTTP_HOST=host)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    # Without a session, with a tampered token, or opened by someone else: 404.
    assert gql(a["brand"]).client.get(url, HTTP_HOST=host).status_code == 404
    assert reviewer.client.get(url + "x", HTTP_HOST=host).status_code == 404
    with tenant_context(a["brand"]):
        other_admin = make_user(a["brand"], role=Role.BRAND_ADMIN)
    assert gql(a["brand"], other_admin).client.get(url, HTTP_HOST=host).status_code == 404
    # No token at all: 404; the storage key is not a URL either.
    assert reviewer.client.get(f"/kyc/documents/{a['document'].pk}", HTTP_HOST=host).status_code == 404
    assert reviewer.client.get(f"/media/{a['document'].file_key}", HTTP_HOST=host).status_code == 404
    # Expired: 403 (ask for a fresh one).
    with mock.patch("core.private_files.time.time", return_value=time.time() + 3600):
        assert reviewer.client.get(url, HTTP_HOST=host).status_code == 403


def test_a_reviewer_of_brand_a_cannot_fetch_brand_b_documents(people, gql):
    a, b = people["a"], people["b"]
    reviewer_a = gql(a["brand"], a["reviewer"])
    reviewer_b = gql(b["brand"], b["reviewer"])
    # By id through the API: brand B's ids mean nothing in brand A.
    with tenant_context(a["brand"]):
        KycDocument.objects.filter(pk=b["document"].pk).delete()  # ids may collide across schemas
        KycProfile.objects.filter(pk=b["profile"].pk).exclude(user=a["affiliate"]).delete()
    assert (
        reviewer_a.execute(LINK, {"id": str(b["document"].pk)})["errors"][0]["extensions"]["code"]
        == "NOT_FOUND"
    )
    assert (
        reviewer_a.execute("query($id: ID!) { kycProfile(id: $id) { id } }", {"id": str(b["profile"].pk)})[
            "errors"
        ][0]["extensions"]["code"]
        == "NOT_FOUND"
    )
    # Brand B's signed link opened on brand A's host (even by a reviewer of A): refused.
    url_b = reviewer_b.data(LINK, {"id": str(b["document"].pk)})["kycDocumentLink"]["url"]
    assert reviewer_b.client.get(url_b, HTTP_HOST=domain_of(b["brand"])).status_code == 200
    assert reviewer_a.client.get(url_b, HTTP_HOST=domain_of(a["brand"])).status_code == 404
    # The queue of A never shows B's profile.
    assert b["affiliate"].email not in [row["userEmail"] for row in reviewer_a.data(QUEUE)["kycReviewQueue"]]
    # Brand A's link (and A's reviewer's session) on brand B's host: nothing there.
    url_a = reviewer_a.data(LINK, {"id": str(a["document"].pk)})["kycDocumentLink"]["url"]
    assert reviewer_a.client.get(url_a, HTTP_HOST=domain_of(b["brand"])).status_code == 404
    assert reviewer_b.client.get(url_a, HTTP_HOST=domain_of(b["brand"])).status_code == 404


def test_brand_settings_by_admin_only(brand_a, gql):
    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        affiliate = make_user(brand_a, role=Role.AFFILIATE)
    body = gql(brand_a, admin).data(
        SETTINGS,
        {"i": {"requiredRoles": ["affiliate", "merchant"], "payoutThreshold": "500", "retentionDays": 90}},
    )
    assert body["kycSettingsUpdate"] == {
        "settings": {
            "requiredRoles": ["affiliate", "merchant"],
            "payoutThreshold": "500.00",
            "retentionDays": 90,
        },
        "errors": [],
    }
    bad = gql(brand_a, admin).data(SETTINGS, {"i": {"retentionDays": 0}})["kycSettingsUpdate"]
    assert bad["errors"] == [{"field": "retentionDays", "code": "OUT_OF_RANGE"}]
    refused = gql(brand_a, affiliate).execute(SETTINGS, {"i": {"retentionDays": 5}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
