"""GDPR: data exports, erasure, consents and retention, on the real database (and a real Celery
worker where the behaviour is the worker's)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
import zipfile
from decimal import Decimal

import pyotp
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import ApiToken, Role, TwoFactor, TwoFactorBackupCode, User
from accounts.services import api_token_authenticate, api_token_create
from accounts.two_factor import two_factor_setup_begin, two_factor_setup_confirm
from affiliation.selectors import affiliate_balance
from affiliation.services import commissions_release_due, conversion_record
from ledger.selectors import ledger_differences
from payments.models import Invoice, Payment
from payments.tasks import invoice_deliver_task
from payouts.models import WithdrawalRequest
from payouts.services import withdrawal_request
from privacy import services
from privacy.models import ConsentKind, ConsentRecord, DataExport, ErasureRequest, ErasureStatus, ExportStatus
from privacy.tasks import (
    data_export_build_task,
    erasure_requested_email_task,
    privacy_brand_erasures_task,
    privacy_brand_retention_task,
)
from tests.checkout.builders import (
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import PASSWORD, domain_of, make_user
from tests.engine import count_clicks, make_affiliate, make_click, make_program
from tests.tracking.conftest import link_rollups
from tracking.models import Click

MY_PRIVACY = """{ myPrivacy { consentRequired termsVersion privacyVersion currentTermsVersion
  currentPrivacyVersion marketingOptIn exports { id status downloadUrl } erasureRequest { id status } } }"""
EXPORT = "mutation { dataExportRequest { export { id status } errors { field code } } }"
ERASE = "mutation($r: String!) { erasureRequest(reason: $r) { erasureRequest { id status dueAt } errors { code } } }"
PROCESS = (
    "mutation($id: ID!) { erasureProcess(id: $id) { erasureRequest { status userEmail } errors { code } } }"
)
REFUSE = "mutation($id: ID!, $r: String!) { erasureRefuse(id: $id, reason: $r) { erasureRequest { status decisionReason } errors { field code } } }"
CANCEL = "mutation($id: ID!) { erasureCancel(id: $id) { erasureRequest { status } errors { code } } }"
QUEUE = "{ erasureRequests { id userId status } }"
PUBLISH = """mutation($k: LegalDocumentKind!, $t: String!, $b: String!) {
  legalDocumentPublish(input: {kind: $k, title: $t, body: $b}) { document { version } errors { field code } } }"""
LOGIN = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { errors { code } } }"


def _earn(affiliate, amount: str, order_id: str) -> None:
    click = make_click(affiliate)
    sale = (Decimal(amount) * 5).quantize(Decimal("0.01"))
    conversion_record(
        source="postback", order_id=order_id, amount=str(sale), currency="EUR", click_id=str(click.id)
    )
    commissions_release_due(now=timezone.now() + dt.timedelta(days=31))


def _unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.time_ns()}@example.com"


@pytest.fixture
def rich_affiliate(brand_a):
    """An affiliate with links, clicks rolled up, a conversion, commissions, a withdrawal, an
    order with its invoice PDF; and another affiliate with data of their own."""
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
        affiliate = make_affiliate(brand_a, program)
        other = make_affiliate(brand_a, program)
        _earn(affiliate, "100.00", "gdpr-1")
        _earn(other, "50.00", "gdpr-2")
        link = affiliate.links.first()
        count_clicks(link, clicks=7, unique_clicks=3)
        withdrawal_request(
            affiliate=affiliate, amount="30.00", method="paypal", details={"email": "payme@example.com"}
        )
        fee_plan()
        bank_details(invoice_prefix="GD")
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        result = bank_checkout(
            affiliate.user, [(make_product(make_merchant(brand_a), price=Decimal("12.00")), 1)]
        )
        invoice = Invoice.objects.get(payment=pay_by_bank(result, admin))
        invoice_deliver_task.run(invoice.pk)
        invoice.refresh_from_db()
        services.consent_record_signup(user=affiliate.user, marketing_opt_in=True)
        yield affiliate, other, admin, invoice


def _zip_of(export: DataExport) -> zipfile.ZipFile:
    with default_storage.open(export.file_key, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_the_export_holds_each_file_with_my_data_and_nothing_of_another_user(
    rich_affiliate, django_capture_on_commit_callbacks
):
    affiliate, other, _admin, invoice = rich_affiliate
    user = affiliate.user
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        export = services.data_export_request(user=user)
    assert len(callbacks) == 1  # the build task, after commit
    data_export_build_task.run(export.pk)
    data_export_build_task.run(export.pk)  # a redelivery builds nothing twice

    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert export.file_key.startswith(f"exports/{user.pk}/")
    archive = _zip_of(export)
    names = set(archive.namelist())
    assert {
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
        f"invoices/{invoice.number}.pdf",
    } <= names
    files = {name: json.loads(archive.read(name)) for name in names if name.endswith(".json")}
    assert files["profile.json"]["email"] == user.email
    assert [row["code"] for row in files["links.json"]] == [affiliate.links.first().code]
    assert [(row["clicks"], row["unique_clicks"]) for row in files["clicks_daily.json"]] == [(7, 3)]
    assert [row["order_id"] for row in files["conversions.json"]] == ["gdpr-1"]
    assert [Decimal(row["amount"]) for row in files["commissions.json"]] == [Decimal("100.00")]
    assert files["withdrawals.json"][0]["details"] == {"email": "payme@example.com"}
    assert [row["number"] for row in files["invoices.json"]] == [invoice.number]
    assert len(files["orders.json"]) == 1
    assert files["orders.json"][0]["lines"]
    assert {(row["kind"], row["granted"]) for row in files["consents.json"]} >= {("marketing", True)}
    assert files["audit.json"]  # signup, the export request...
    assert archive.read(f"invoices/{invoice.number}.pdf").startswith(b"%PDF")
    everything = b"".join(archive.read(name) for name in names if name.endswith(".json"))
    assert other.user.email.encode() not in everything
    assert b"gdpr-2" not in everything
    # the owner is told where to download it, by email
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "/account/privacy" in mail.outbox[0].body


def test_an_export_is_stored_under_the_brands_prefix(rich_affiliate, s3_server):
    import boto3

    user = rich_affiliate[0].user
    export = services.data_export_request(user=user)
    data_export_build_task.run(export.pk)
    export.refresh_from_db()
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    keys = [
        item["Key"]
        for item in client.list_objects_v2(Bucket=django_settings.AWS_STORAGE_BUCKET_NAME)["Contents"]
    ]
    assert f"{connection.schema_name}/{export.file_key}" in keys


def test_exports_are_throttled_to_one_a_day(gql, brand_a):
    user = make_user(brand_a)
    client = gql(brand_a, user)
    first = client.data(EXPORT)["dataExportRequest"]
    second = client.data(EXPORT)["dataExportRequest"]
    assert first["errors"] == []
    assert first["export"]["status"] == "PENDING"
    assert second == {"export": None, "errors": [{"field": "export", "code": "RATE_LIMITED"}]}
    with tenant_context(brand_a):
        assert DataExport.objects.filter(user=user).count() == 1


@pytest.fixture
def local_disk(tmp_path):
    storages = {**django_settings.STORAGES, "default": {"BACKEND": "core.storage.TenantFileSystemStorage"}}
    with override_settings(STORAGES=storages, MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


def test_the_local_download_link_expires_and_works_for_its_owner_on_its_brand_only(
    client, brand_a, brand_b, local_disk, settings
):
    user, stranger = make_user(brand_a), make_user(brand_a)
    with tenant_context(brand_a):
        export = services.data_export_request(user=user)
        data_export_build_task.run(export.pk)
        from privacy.links import export_download_url

        export.refresh_from_db()
        url = export_download_url(export)
        stale = export_download_url(export, seconds=1)
        client.force_login(user)
    assert url.startswith(f"/exports/{export.pk}.zip?token=")
    assert (local_disk / brand_a.schema_name / export.file_key).exists()
    ok = client.get(url, HTTP_HOST=domain_of(brand_a))
    assert (ok.status_code, ok["Content-Type"]) == (200, "application/zip")
    assert "profile.json" in zipfile.ZipFile(io.BytesIO(ok.content)).namelist()
    assert client.get(url, HTTP_HOST=domain_of(brand_b)).status_code == 404  # another brand's host
    assert client.get(url.replace("token=", "token=x"), HTTP_HOST=domain_of(brand_a)).status_code == 404
    time.sleep(2.1)
    assert client.get(stale, HTTP_HOST=domain_of(brand_a)).status_code == 403  # genuine, but expired
    with tenant_context(brand_a):
        client.force_login(stranger)
    assert client.get(url, HTTP_HOST=domain_of(brand_a)).status_code == 404  # not the owner


def test_the_s3_link_is_presigned_and_short_lived(rich_affiliate):
    from urllib.parse import parse_qs, urlparse

    from privacy.links import export_download_url

    export = services.data_export_request(user=rich_affiliate[0].user)
    data_export_build_task.run(export.pk)
    export.refresh_from_db()
    query = parse_qs(urlparse(export_download_url(export)).query)
    assert query["X-Amz-Expires"] == [str(django_settings.PRIVACY_EXPORT_LINK_SECONDS)]
    assert urlparse(export_download_url(export)).path.startswith(
        f"/{django_settings.AWS_STORAGE_BUCKET_NAME}/{connection.schema_name}/exports/"
    )


def test_erasure_anonymises_the_person_and_keeps_the_accounts(
    rich_affiliate, gql, brand_a, django_capture_on_commit_callbacks
):
    affiliate, _other, admin, invoice = rich_affiliate
    user = affiliate.user
    email = user.email
    balance_before = affiliate_balance(affiliate)
    _token, raw = api_token_create(user=user, name="ci", scopes=["read"])
    with tenant_context(brand_a):  # an authenticator secret, confirmed with a computed code
        setup = two_factor_setup_begin(user=user)
        two_factor_setup_confirm(request=None, user=user, code=pyotp.TOTP(setup.secret).now())
    signed_in = gql(brand_a, user)
    assert signed_in.data("{ me { email } }")["me"]["email"] == email
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=False):
        requested = gql(brand_a, user).data(ERASE, {"r": "Leaving"})["erasureRequest"]
    assert requested["errors"] == []
    assert requested["erasureRequest"]["status"] == "REQUESTED"
    request_id = requested["erasureRequest"]["id"]
    erasure_requested_email_task.run(int(request_id))
    assert admin.email in mail.outbox[-1].to
    assert "erased" in mail.outbox[-1].body

    processed = gql(brand_a, admin).data(PROCESS, {"id": request_id})["erasureProcess"]
    assert processed == {
        "erasureRequest": {"status": "COMPLETED", "userEmail": f"erased-{user.pk}@invalid"},
        "errors": [],
    }

    user.refresh_from_db()
    assert (user.email, user.full_name, user.is_active, user.has_usable_password()) == (
        f"erased-{user.pk}@invalid",
        "",
        False,
        False,
    )
    assert not ApiToken.objects.filter(user=user).exists()
    assert not TwoFactor.objects.filter(user=user).exists()
    assert not TwoFactorBackupCode.objects.filter(user=user).exists()
    assert api_token_authenticate(raw) is None
    assert WithdrawalRequest.objects.get(affiliate=affiliate).details == {}
    assert set(
        Payment.objects.filter(payer=user).values_list("payer_email", "payer_name", "payer_contact")
    ) == {(f"erased-{user.pk}@invalid", "", "")}
    assert ErasureRequest.objects.get(pk=request_id).decision_reason == "Processed by a brand admin."
    # accounting retention: the ledger reconciles, balances and the invoice are as they were
    assert ledger_differences() == []
    assert affiliate_balance(affiliate) == balance_before
    kept = Invoice.objects.get(pk=invoice.pk)
    assert (kept.number, kept.total, kept.customer_email, kept.pdf_key) == (
        invoice.number,
        invoice.total,
        invoice.customer_email,
        invoice.pdf_key,
    )
    # nobody can sign in as them any more
    assert signed_in.data("{ me { email } }")["me"] is None
    errors = gql(brand_a).data(LOGIN, {"e": email, "p": PASSWORD})["login"]["errors"]
    assert errors != []
    assert gql(brand_a).post("{ me { email } }", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    out = io.StringIO()
    call_command("ledger_reconcile", "--brand", brand_a.subdomain, stdout=out)
    assert "0 differences" in out.getvalue()
    assert not User.objects.filter(email=email).exists()


def test_due_requests_are_processed_by_the_beat_job_and_a_cancelled_one_is_not(brand_a):
    with tenant_context(brand_a):
        services.privacy_settings_update(actor=None, erasure_window_days=30)  # type: ignore[arg-type]
        due, later, cancelled = make_user(brand_a), make_user(brand_a), make_user(brand_a)
        due_request = services.erasure_request(user=due)
        services.erasure_request(user=later)
        cancelled_request = services.erasure_request(user=cancelled)
        assert due_request.due_at - due_request.requested_at >= dt.timedelta(days=30)
        services.erasure_cancel(user=cancelled, request=cancelled_request)
        ErasureRequest.objects.filter(pk__in=[due_request.pk, cancelled_request.pk]).update(
            due_at=timezone.now() - dt.timedelta(minutes=1)
        )
        privacy_brand_erasures_task.run()

        statuses = dict(
            ErasureRequest.objects.filter(user__in=[due, later, cancelled]).values_list("user_id", "status")
        )
        assert statuses == {
            due.pk: ErasureStatus.COMPLETED,
            later.pk: ErasureStatus.REQUESTED,
            cancelled.pk: ErasureStatus.CANCELLED,
        }
        assert ErasureRequest.objects.get(pk=due_request.pk).decision_reason == "The legal window elapsed."
        assert User.objects.get(pk=due.pk).email == f"erased-{due.pk}@invalid"
        assert User.objects.get(pk=cancelled.pk).email == cancelled.email


def test_a_refusal_needs_a_reason_and_a_closed_request_cannot_be_cancelled(gql, brand_a):
    user, admin = make_user(brand_a), make_user(brand_a, role=Role.BRAND_ADMIN)
    request_id = gql(brand_a, user).data(ERASE, {"r": ""})["erasureRequest"]["erasureRequest"]["id"]
    assert gql(brand_a, user).data(ERASE, {"r": ""})["erasureRequest"]["errors"] == [
        {"code": "ERASURE_ALREADY_REQUESTED"}
    ]
    blank = gql(brand_a, admin).data(REFUSE, {"id": request_id, "r": "  "})["erasureRefuse"]
    assert blank["errors"] == [{"field": "reason", "code": "REQUIRED"}]
    refused = gql(brand_a, admin).data(REFUSE, {"id": request_id, "r": "Open chargeback"})["erasureRefuse"]
    assert refused == {
        "erasureRequest": {"status": "REFUSED", "decisionReason": "Open chargeback"},
        "errors": [],
    }
    assert gql(brand_a, user).data(CANCEL, {"id": request_id})["erasureCancel"]["errors"] == [
        {"code": "NOT_PENDING"}
    ]
    # users cannot process requests, their own or others'
    forbidden = gql(brand_a, user).execute(PROCESS, {"id": request_id})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_consent_is_recorded_at_signup_and_asked_again_after_a_new_version(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    for kind in ("TERMS", "PRIVACY"):
        published = gql(brand_a, admin).data(PUBLISH, {"k": kind, "t": "Terms", "b": "Be nice."})
        assert published["legalDocumentPublish"]["errors"] == []
    email = _unique("consent")
    signup = gql(brand_a).data(
        "mutation($i: SignupInput!) { signup(input: $i) { ok errors { code } } }",
        {"i": {"email": email, "password": PASSWORD, "marketingOptIn": True}},
    )
    assert signup["signup"] == {"ok": True, "errors": []}
    with tenant_context(brand_a):
        user = User.objects.get(email=email)
        recorded = {(r.kind, r.version, r.granted, r.source) for r in ConsentRecord.objects.filter(user=user)}
    assert {(k, g, s) for k, _v, g, s in recorded} == {
        ("terms", True, "signup"),
        ("privacy", True, "signup"),
        ("marketing", True, "signup"),
    }
    client = gql(brand_a, user)
    state = client.data(MY_PRIVACY)["myPrivacy"]
    assert (state["consentRequired"], state["marketingOptIn"]) == (False, True)

    v2 = gql(brand_a, admin).data(PUBLISH, {"k": "TERMS", "t": "Terms", "b": "Be nicer."})
    assert v2["legalDocumentPublish"]["document"]["version"] == state["currentTermsVersion"] + 1
    assert client.data(MY_PRIVACY)["myPrivacy"]["consentRequired"] is True

    accepted = client.data(
        "mutation { consentAccept { privacy { consentRequired termsVersion } errors { code } } }"
    )
    assert accepted["consentAccept"] == {
        "privacy": {"consentRequired": False, "termsVersion": state["currentTermsVersion"] + 1},
        "errors": [],
    }
    again = client.data("mutation { consentAccept { errors { code } } }")["consentAccept"]["errors"]
    assert again == [{"code": "NOTHING_TO_ACCEPT"}]
    with tenant_context(brand_a):
        assert (
            ConsentRecord.objects.filter(user=user, kind=ConsentKind.TERMS, source="reacceptance").count()
            == 1
        )
    public = gql(brand_a).data("{ legalDocument(kind: TERMS) { version body } }")["legalDocument"]
    assert public == {"version": state["currentTermsVersion"] + 1, "body": "Be nicer."}


def test_retention_deletes_only_raw_rows_older_than_the_brands_setting(brand_a):
    with tenant_context(brand_a):
        services.privacy_settings_update(actor=None, click_retention_days=30)  # type: ignore[arg-type]
        affiliate = make_affiliate(brand_a, make_program(cascade_rates=[]))
        old = make_click(affiliate, age=dt.timedelta(days=31))
        fresh = make_click(affiliate, age=dt.timedelta(days=29))
        count_clicks(old.link, clicks=1, unique_clicks=1, at=old.created_at)
        counted = link_rollups(old.link, "day")
        purged = services.raw_rows_purge(batch_size=1)
        privacy_brand_retention_task.run()
        assert purged["clicks"] >= 1
        assert not Click.objects.filter(pk=old.pk).exists()
        assert Click.objects.filter(pk=fresh.pk).exists()
        assert link_rollups(old.link, "day") == counted  # the counts stay: only raw rows go


def test_retention_settings_are_validated(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    result = gql(brand_a, admin).data(
        "mutation { privacySettingsUpdate(input: {clickRetentionDays: 0, erasureWindowDays: 30}) "
        "{ settings { clickRetentionDays } errors { field code } } }"
    )["privacySettingsUpdate"]
    assert result == {"settings": None, "errors": [{"field": "clickRetentionDays", "code": "OUT_OF_RANGE"}]}


def test_a_brand_admin_sees_only_their_brands_erasure_requests(gql, brand_a, brand_b):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    user_a, user_b = make_user(brand_a), make_user(brand_b)
    with tenant_context(brand_a):
        mine = services.erasure_request(user=user_a)
    with tenant_context(brand_b):
        theirs = services.erasure_request(user=user_b)
    queue = gql(brand_a, admin_a).data(QUEUE)["erasureRequests"]
    assert [row["id"] for row in queue] == [str(mine.pk)]
    # brand B's request id on brand A's host: not found, and nothing changes in B
    other = gql(brand_a, admin_a).execute(PROCESS, {"id": str(theirs.pk)})
    if theirs.pk != mine.pk:
        assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    with tenant_context(brand_b):
        assert ErasureRequest.objects.get(pk=theirs.pk).status == ErasureStatus.REQUESTED


def test_a_failed_build_is_marked_failed_and_does_not_count_against_the_daily_request(brand_a, monkeypatch):
    import privacy.export

    def broken(user):
        raise RuntimeError("a bug while building")

    user = make_user(brand_a)
    with tenant_context(brand_a):
        export = services.data_export_request(user=user)
        monkeypatch.setattr(privacy.export, "export_archive", broken)
        with pytest.raises(RuntimeError):
            data_export_build_task.run(export.pk)
        export.refresh_from_db()
        assert export.status == ExportStatus.FAILED
        again = services.data_export_request(user=user)  # not throttled by the failed one
        assert again.status == ExportStatus.PENDING


def test_documents_settings_and_consents_are_per_brand(gql, brand_a, brand_b):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    user_b = make_user(brand_b)
    published = gql(brand_a, admin_a).data(PUBLISH, {"k": "PRIVACY", "t": "Privacy", "b": "Alpha only."})
    assert published["legalDocumentPublish"]["errors"] == []
    gql(brand_a, admin_a).data(
        "mutation { privacySettingsUpdate(input: {clickRetentionDays: 10}) { errors { code } } }"
    )

    assert gql(brand_b).data("{ legalDocument(kind: PRIVACY) { body } }")["legalDocument"] is None
    assert gql(brand_b, user_b).data(MY_PRIVACY)["myPrivacy"]["consentRequired"] is False
    with tenant_context(brand_b):
        from privacy.selectors import privacy_settings

        assert privacy_settings().click_retention_days == 400


def test_an_admins_export_holds_what_they_did_to_others_without_those_users_details(brand_a):
    from accounts.services import user_role_change
    from privacy.export import export_data

    admin, other = make_user(brand_a, role=Role.BRAND_ADMIN), make_user(brand_a)
    with tenant_context(brand_a):
        user_role_change(actor=admin, user=other, role=Role.MERCHANT)
        audit = export_data(admin)["audit.json"]
    entry = next(row for row in audit if row["action"] == "user.role_changed")
    assert (entry["actor_id"], entry["target_id"], entry["data"]) == (admin.pk, "", {})
