"""Server-to-server postbacks over HTTP: signatures, idempotency, refunds, errors, rate limit."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import logging
import os
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tenants.utils import tenant_context

from affiliation.models import (
    CommissionStatus,
    Conversion,
    ConversionRefund,
    ConversionStatus,
    PostbackKey,
)
from affiliation.postbacks import (
    SIGNATURE_TOLERANCE_SECONDS,
    postback_key_create,
    postback_key_revoke,
    postback_signature_verify,
    sign_postback,
)
from affiliation.selectors import affiliate_balance
from affiliation.services import coupon_create
from core.models import AuditEvent
from ledger.selectors import ledger_differences
from tests.conftest import domain_of
from tests.engine import make_affiliate, make_click, make_program

_addresses = itertools.count(1)


def fresh_ip() -> str:
    """A loopback address of this test's own: failed-signature buckets persist in Redis."""
    number = next(_addresses) + (os.getpid() % 200) * 1000
    return f"127.{number // 65536 % 256}.{number // 256 % 256}.{number % 256 or 1}"


def post_signed(
    tenant: Any,
    payload: Any = None,
    *,
    secret: str | None = None,
    body: bytes | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
    ip: str = "127.0.0.1",
    client: Client | None = None,
) -> Any:
    """POST /postback/ on ``tenant``'s host, signed with ``secret`` unless ``signature`` is given."""
    body = json.dumps(payload).encode() if body is None else body
    if signature is None:
        assert secret is not None
        signature = sign_postback(secret, body, int(time.time()) if timestamp is None else timestamp)
    headers = {"HTTP_X_SIGNATURE": signature} if signature else {}
    return (client or Client()).post(
        "/postback/",
        data=body,
        content_type="application/json",
        HTTP_HOST=domain_of(tenant),
        REMOTE_ADDR=ip,
        **headers,
    )


def sale(
    click_id: Any = None, order_id: str = "order-1", amount: str = "100.00", **extra: Any
) -> dict[str, Any]:
    payload = {"event": "sale", "order_id": order_id, "amount": amount, "currency": "EUR", **extra}
    if click_id is not None:
        payload["click_id"] = str(click_id)
    return payload


@pytest.fixture
def ip() -> str:
    return fresh_ip()


@pytest.fixture
def engine(brand_a):
    """In brand A: a 20 % program with a 10 % / 5 % cascade, seller ← parent ← grandparent, a
    click of the seller's, and an active postback key."""
    with tenant_context(brand_a):
        program = make_program()
        grandparent = make_affiliate(brand_a, program)
        parent = make_affiliate(brand_a, program, referrer=grandparent)
        seller = make_affiliate(brand_a, program, referrer=parent)
        click = make_click(seller)
        key = postback_key_create()
    return {
        "brand": brand_a,
        "program": program,
        "seller": seller,
        "parent": parent,
        "grandparent": grandparent,
        "click": click,
        "key": key,
    }


def conversions(tenant: Any) -> int:
    with tenant_context(tenant):
        return Conversion.objects.count()


# --- sales ------------------------------------------------------------------------------------


def test_a_signed_sale_records_the_conversion_and_its_commissions(engine, ip):
    seller, parent, grandparent = engine["seller"], engine["parent"], engine["grandparent"]

    response = post_signed(engine["brand"], sale(engine["click"].id), secret=engine["key"].secret, ip=ip)

    assert response.status_code == 201, response.content
    body = response.json()["conversion"]
    with tenant_context(engine["brand"]):
        conversion = Conversion.objects.get()
        assert (conversion.source, conversion.order_id, conversion.affiliate_id) == (
            "postback",
            "order-1",
            seller.pk,
        )
        assert conversion.click_id == engine["click"].id
        assert affiliate_balance(seller).pending == Decimal("20.00")
        assert ledger_differences() == []
    assert body["id"] == conversion.pk
    assert (body["order_id"], body["status"]) == ("order-1", "approved")
    assert body["commissions"] == [
        {
            "beneficiary_id": seller.pk,
            "level": 0,
            "amount": "20.00",
            "reversed_amount": "0.00",
            "currency": "EUR",
        },
        {
            "beneficiary_id": parent.pk,
            "level": 1,
            "amount": "10.00",
            "reversed_amount": "0.00",
            "currency": "EUR",
        },
        {
            "beneficiary_id": grandparent.pk,
            "level": 2,
            "amount": "5.00",
            "reversed_amount": "0.00",
            "currency": "EUR",
        },
    ]


def test_a_replayed_sale_answers_200_with_the_same_body_and_records_nothing_new(engine, ip):
    first = post_signed(engine["brand"], sale(engine["click"].id), secret=engine["key"].secret, ip=ip)

    again = post_signed(
        engine["brand"], sale(engine["click"].id, amount="999.00"), secret=engine["key"].secret, ip=ip
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    with tenant_context(engine["brand"]):
        assert Conversion.objects.count() == 1
        assert affiliate_balance(engine["seller"]).pending == Decimal("20.00")


def test_a_sale_by_coupon_with_a_json_number_amount_and_an_occurred_at(engine, ip):
    with tenant_context(engine["brand"]):
        coupon_create(actor=None, affiliate=engine["seller"], code="SPRING")
    body = b'{"event": "sale", "order_id": 42, "amount": 50.10, "currency": "eur", "coupon": "spring", "occurred_at": "2020-01-01T00:00:00"}'

    response = post_signed(engine["brand"], body=body, secret=engine["key"].secret, ip=ip)

    assert response.status_code == 201, response.content
    # 20 % of 50.10 read as a decimal, not as a float
    assert response.json()["conversion"]["commissions"][0]["amount"] == "10.02"
    with tenant_context(engine["brand"]):
        conversion = Conversion.objects.get()
        assert (conversion.order_id, conversion.amount, conversion.currency) == (
            "42",
            Decimal("50.10"),
            "EUR",
        )
        assert conversion.occurred_at.isoformat() == "2020-01-01T00:00:00+00:00"  # no offset: UTC


# --- refunds and chargebacks -----------------------------------------------------------------


def test_a_refund_postback_reverses_every_commission(engine, ip):
    secret = engine["key"].secret
    post_signed(engine["brand"], sale(engine["click"].id), secret=secret, ip=ip)
    refund = {"event": "refund", "order_id": "order-1", "refund_id": "re-1"}

    response = post_signed(engine["brand"], refund, secret=secret, ip=ip)
    replay = post_signed(engine["brand"], refund, secret=secret, ip=ip)

    assert (response.status_code, replay.status_code) == (201, 200), response.content
    body = response.json()["conversion"]
    assert (body["status"], body["refunded_amount"]) == ("reversed", "100.00")
    assert [c["reversed_amount"] for c in body["commissions"]] == ["20.00", "10.00", "5.00"]
    assert replay.json() == response.json()
    with tenant_context(engine["brand"]):
        assert ConversionRefund.objects.get().kind == "refund"
        assert all(affiliate_balance(engine[who]).pending == 0 for who in ("seller", "parent", "grandparent"))
        assert ledger_differences() == []


def test_a_partial_refund_takes_back_the_same_share(engine, ip):
    secret = engine["key"].secret
    post_signed(engine["brand"], sale(engine["click"].id), secret=secret, ip=ip)

    response = post_signed(
        engine["brand"],
        {"event": "refund", "order_id": "order-1", "refund_id": "re-1", "amount": "40.00", "currency": "EUR"},
        secret=secret,
        ip=ip,
    )

    assert response.status_code == 201, response.content
    body = response.json()["conversion"]
    assert (body["status"], body["refunded_amount"]) == ("partially_refunded", "40.00")
    assert [c["reversed_amount"] for c in body["commissions"]] == ["8.00", "4.00", "2.00"]


def test_a_chargeback_postback_reverses_the_commissions_as_a_chargeback(engine, ip):
    secret = engine["key"].secret
    post_signed(engine["brand"], sale(engine["click"].id), secret=secret, ip=ip)

    response = post_signed(
        engine["brand"], {"event": "chargeback", "order_id": "order-1"}, secret=secret, ip=ip
    )

    assert response.status_code == 201, response.content
    with tenant_context(engine["brand"]):
        refund = ConversionRefund.objects.get()
        assert (refund.kind, refund.refund_id, refund.amount) == ("chargeback", "order-1", Decimal("100.00"))
        assert refund.conversion.status == ConversionStatus.REVERSED
        assert set(refund.conversion.commissions.values_list("status", flat=True)) == {
            CommissionStatus.REVERSED
        }
        assert affiliate_balance(engine["seller"]).pending == 0


# --- signatures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "missing header", "no v1", "timestamp not a number", "body changed", "other scheme"],
)
def test_a_bad_signature_is_refused_logged_and_records_nothing(engine, ip, caplog, tamper):
    secret = engine["key"].secret
    body = json.dumps(sale(engine["click"].id)).encode()
    now = int(time.time())
    signature = {
        "wrong secret": sign_postback("f" * 64, body, now),
        "missing header": "",
        "no v1": f"t={now}",
        "timestamp not a number": sign_postback(secret, body, now).replace(f"t={now}", "t=soon"),
        "body changed": sign_postback(secret, body.replace(b"100.00", b"999.00"), now),
        "other scheme": sign_postback(secret, body, now).replace("v1=", "v0="),
    }[tamper]

    with caplog.at_level(logging.WARNING, logger="affiliation.views"):
        response = post_signed(engine["brand"], body=body, signature=signature, ip=ip)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert conversions(engine["brand"]) == 0
    [record] = [r for r in caplog.records if r.name == "affiliation.views"]
    assert record.levelname == "WARNING"
    assert engine["brand"].schema_name in record.getMessage()
    assert ip in record.getMessage()
    assert secret not in caplog.text
    assert "order-1" not in caplog.text  # nothing of the body


@pytest.mark.parametrize(
    "offset", [-(SIGNATURE_TOLERANCE_SECONDS + 1), SIGNATURE_TOLERANCE_SECONDS + 60, 10**4000]
)
def test_a_timestamp_outside_the_tolerance_is_refused(engine, ip, offset):
    response = post_signed(
        engine["brand"],
        sale(engine["click"].id),
        secret=engine["key"].secret,
        timestamp=int(time.time()) + offset,
        ip=ip,
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert "300 s" in response.json()["error"]["message"]
    assert conversions(engine["brand"]) == 0


def test_a_timestamp_within_the_tolerance_is_accepted(engine, ip):
    response = post_signed(
        engine["brand"],
        sale(engine["click"].id),
        secret=engine["key"].secret,
        timestamp=int(time.time()) - 250,
        ip=ip,
    )

    assert response.status_code == 201


def test_a_revoked_key_is_refused(engine, ip):
    with tenant_context(engine["brand"]):
        postback_key_revoke(engine["key"])

    response = post_signed(engine["brand"], sale(engine["click"].id), secret=engine["key"].secret, ip=ip)

    assert response.status_code == 401
    assert conversions(engine["brand"]) == 0


def test_two_active_keys_both_sign_while_a_merchant_rotates(engine, ip):
    old = engine["key"]
    with tenant_context(engine["brand"]):
        new = postback_key_create()
        second_click = make_click(engine["seller"])

    by_old = post_signed(engine["brand"], sale(engine["click"].id, "o-old"), secret=old.secret, ip=ip)
    by_new = post_signed(engine["brand"], sale(second_click.id, "o-new"), secret=new.secret, ip=ip)

    assert (by_old.status_code, by_new.status_code) == (201, 201)
    # Once the old key is revoked, a header carrying both signatures still verifies by the new one.
    with tenant_context(engine["brand"]):
        postback_key_revoke(old)
    body = json.dumps(sale(engine["click"].id, "o-both")).encode()
    now = int(time.time())
    both = f"{sign_postback(old.secret, body, now)},v1={sign_postback(new.secret, body, now).split('v1=')[1]}"
    assert post_signed(engine["brand"], body=body, signature=both, ip=ip).status_code == 201
    assert (
        post_signed(engine["brand"], sale(engine["click"].id, "o-late"), secret=old.secret, ip=ip).status_code
        == 401
    )


def test_sign_postback_is_stripe_style_and_verifies(engine):
    body = b'{"event":"sale"}'

    header = sign_postback("s3cret", body, 1700000000)

    assert (
        header == "t=1700000000,v1=" + hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    )
    with tenant_context(engine["brand"]):
        assert (
            postback_signature_verify(
                sign_postback(engine["key"].secret, body, 1700000000), body, now=1700000100
            )
            == engine["key"]
        )


# --- HTTP-level errors -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(engine, method):
    response = getattr(Client(), method)("/postback/", HTTP_HOST=domain_of(engine["brand"]))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"sale"', b"\xff\xfe", b"[" * 60000])
def test_a_signed_body_that_is_not_a_json_object_is_400(engine, ip, body):
    response = post_signed(engine["brand"], body=body, secret=engine["key"].secret, ip=ip)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_JSON"
    assert conversions(engine["brand"]) == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"order_id": "order\u0000-1"}, "order_id"), ({"offer_ref": "spa\u0000"}, "offer_ref")],
)
def test_a_nul_character_in_a_field_is_422_on_that_field(engine, ip, extra, field):
    # PostgreSQL text cannot hold U+0000: it used to reach the database and answer a 500.
    payload = {**sale(engine["click"].id), **extra}

    response = post_signed(engine["brand"], payload, secret=engine["key"].secret, ip=ip)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_CHARACTER"
    assert response.json()["error"]["field"] == field
    assert conversions(engine["brand"]) == 0


def test_a_body_over_64_kb_is_413(engine, ip):
    payload = sale(engine["click"].id, offer_ref="x" * (64 * 1024))

    response = post_signed(engine["brand"], payload, secret=engine["key"].secret, ip=ip)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert conversions(engine["brand"]) == 0


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"click_id": "0190a2b4-0000-7000-8000-000000000000"}, "click_id", "NOT_ATTRIBUTED"),
        ({"click_id": "not-a-uuid"}, "click_id", "INVALID"),
        ({"click_id": None, "coupon": "NOPE"}, "coupon", "NOT_ATTRIBUTED"),
        ({"click_id": None}, "click_id", "REQUIRED"),
        ({"currency": "USD"}, "currency", "CURRENCY_MISMATCH"),
        ({"currency": "EURO"}, "currency", "INVALID"),
        ({"amount": None}, "amount", "REQUIRED"),
        ({"amount": "10.001"}, "amount", "INVALID"),
        ({"amount": True}, "amount", "INVALID"),
        ({"amount": "-1"}, "amount", "INVALID"),
        ({"amount": "1e999999"}, "amount", "INVALID"),
        ({"amount": "1000000000000"}, "amount", "INVALID"),
        ({"amount": "NaN"}, "amount", "INVALID"),
        ({"amount": "forty"}, "amount", "INVALID"),
        ({"order_id": " "}, "order_id", "REQUIRED"),
        ({"order_id": "x" * 121}, "order_id", "INVALID"),
        ({"event": "upsell"}, "event", "INVALID"),
        ({"event": None}, "event", "REQUIRED"),
        ({"occurred_at": "yesterday"}, "occurred_at", "INVALID"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at", "INVALID"),
    ],
)
def test_what_the_engine_refuses_is_422_with_its_code_and_field(engine, ip, change, field, code):
    payload = {**sale(engine["click"].id), **change}

    response = post_signed(engine["brand"], payload, secret=engine["key"].secret, ip=ip)

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert conversions(engine["brand"]) == 0


@pytest.mark.parametrize(
    ("refund", "field", "code"),
    [
        ({"order_id": "never-sold"}, "order_id", "NOT_FOUND"),
        ({"amount": "100.01"}, "amount", "REFUND_TOO_LARGE"),
        ({"currency": "USD"}, "currency", "CURRENCY_MISMATCH"),
    ],
)
def test_a_refund_the_engine_refuses_is_422(engine, ip, refund, field, code):
    secret = engine["key"].secret
    post_signed(engine["brand"], sale(engine["click"].id), secret=secret, ip=ip)

    response = post_signed(
        engine["brand"], {"event": "refund", "order_id": "order-1", **refund}, secret=secret, ip=ip
    )

    assert response.status_code == 422, response.content
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    with tenant_context(engine["brand"]):
        assert ConversionRefund.objects.count() == 0


# --- rate limit ------------------------------------------------------------------------------


def test_failed_signatures_are_rate_limited_per_ip(engine, ip, settings):
    settings.POSTBACK_FAILED_SIGNATURE_LIMIT = 3
    payload = sale(engine["click"].id)

    failures = [post_signed(engine["brand"], payload, secret="0" * 64, ip=ip).status_code for _ in range(3)]
    blocked_even_when_signed = post_signed(engine["brand"], payload, secret=engine["key"].secret, ip=ip)
    other_ip = post_signed(engine["brand"], payload, secret=engine["key"].secret, ip=fresh_ip())

    assert failures == [401, 401, 401]
    assert blocked_even_when_signed.status_code == 429
    assert blocked_even_when_signed.json()["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(blocked_even_when_signed["Retry-After"]) <= 60
    assert other_ip.status_code == 201


def test_valid_postbacks_do_not_count_against_the_limit(engine, ip, settings):
    settings.POSTBACK_FAILED_SIGNATURE_LIMIT = 2
    secret = engine["key"].secret

    statuses = [
        post_signed(engine["brand"], sale(engine["click"].id, f"o-{n}"), secret=secret, ip=ip).status_code
        for n in range(4)
    ]

    assert statuses == [201, 201, 201, 201]


# --- keys ------------------------------------------------------------------------------------


def test_a_key_is_256_random_bits_shown_by_its_prefix_and_audited(brand_a):
    with tenant_context(brand_a):
        key = postback_key_create()
        other = postback_key_create()
        revoked = postback_key_revoke(key)
        revoked_at = revoked.revoked_at
        postback_key_revoke(key)  # again: nothing changes

        assert len(key.secret) == 64
        assert int(key.secret, 16) >= 0
        assert key.prefix == key.secret[:8]
        assert key.secret != other.secret
        assert PostbackKey.objects.get(pk=key.pk).revoked_at == revoked_at
        actions = list(AuditEvent.objects.filter(target_id=str(key.pk)).values_list("action", flat=True))
        assert sorted(actions) == ["postback_key.created", "postback_key.revoked"]
        assert all(key.secret not in str(event.data) for event in AuditEvent.objects.all())


def test_the_command_creates_a_key_in_the_brand_and_prints_its_secret_once(brand_a, brand_b):
    out = io.StringIO()

    call_command("postback_key_create", brand=brand_a.subdomain, stdout=out)

    with tenant_context(brand_a):
        key = PostbackKey.objects.get()
    with tenant_context(brand_b):
        assert not PostbackKey.objects.exists()
    assert out.getvalue().count(key.secret) == 1
    assert key.prefix in out.getvalue()


def test_the_command_refuses_an_unknown_brand(db):
    with pytest.raises(CommandError, match="no brand"):
        call_command("postback_key_create", brand="nowhere", stdout=io.StringIO())
