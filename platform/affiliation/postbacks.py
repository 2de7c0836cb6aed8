"""Server-to-server postbacks: a merchant's server reports sales, refunds and chargebacks.

``POST /postback/`` on the brand's host, a JSON body, signed like Stripe's webhooks::

    X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The secret is one of the brand's active ``PostbackKey`` rows. Several ``v1`` values may be
sent (one per key while a merchant rotates keys); one matching any active key is enough.
The timestamp must be within ``SIGNATURE_TOLERANCE_SECONDS`` of the server's clock, so a
captured request cannot be replayed later; within that window, replays are harmless anyway:
a sale is recorded once per order id and a refund once per refund id.

Body (unknown keys are ignored, for forward compatibility)::

    {"event": "sale" | "refund" | "chargeback",
     "order_id": "A-1001",           # required
     "amount": "49.90",              # sale: required; refund: optional (default: what is left)
     "currency": "EUR",              # sale: required; refund: optional, checked when given
     "click_id": "<uuid>",           # sale: the click id handed to the landing page, or
     "coupon": "SUMMER",             #       a coupon code of an affiliate
     "offer_ref": "sku-1",           # sale, optional: an offer with its own rule
     "subscription_ref": "sub_123",  # sale, optional: renewals earn recurring commissions
     "refund_id": "re_1",            # refund: optional, defaults to the order id (one full refund)
     "occurred_at": "2025-01-31T10:00:00Z"}  # sale, optional, ISO 8601 (no offset: UTC)

Amounts are decimal strings (or JSON numbers, read as decimals, never as floats).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from affiliation.error_codes import AffiliationErrorCode as Code
from affiliation.models import (
    Commission,
    Conversion,
    ConversionSource,
    PostbackKey,
    RefundKind,
)
from affiliation.services import conversion_record, conversion_refund
from core.audit import audit_log
from core.errors import field_error
from core.inputs import NUL_MESSAGE, nul_path
from core.money import quantize

SIGNATURE_HEADER = "X-Signature"
SIGNATURE_SCHEME = "v1"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
SECRET_PREFIX_LENGTH = 8
# Amount columns hold 16 digits before the point; a larger number is a mistake, not a sale.
MAX_AMOUNT = Decimal(10) ** 12
# occurred_at may run a little ahead of our clock (the merchant's clock), not days ahead.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
FIELD_LENGTHS = {
    "order_id": 120,
    "click_id": 64,
    "coupon": 40,
    "offer_ref": 64,
    "subscription_ref": 120,
    "refund_id": 120,
}
# The services name fields as the GraphQL API does; a postback answers with its own names.
_BODY_FIELDS = {
    "orderId": "order_id",
    "clickId": "click_id",
    "couponCode": "coupon",
    "offerRef": "offer_ref",
    "subscriptionRef": "subscription_ref",
    "refundId": "refund_id",
    "occurredAt": "occurred_at",
}


class PostbackEvent(StrEnum):
    SALE = "sale"
    REFUND = "refund"
    CHARGEBACK = "chargeback"


# --- keys ------------------------------------------------------------------------------------


def postback_key_create(*, actor: Any = None) -> PostbackKey:
    """A new active signing secret for the current brand (256 random bits, hex).

    The secret is stored as it is (verifying an HMAC needs it, unlike a token that a hash
    can check): show it to the merchant once, then only its prefix.
    """
    for _ in range(5):
        secret = secrets.token_hex(32)
        try:
            with transaction.atomic():
                key = PostbackKey.objects.create(secret=secret, prefix=secret[:SECRET_PREFIX_LENGTH])
                audit_log(actor=actor, action="postback_key.created", target=key, prefix=key.prefix)
                return key
        except IntegrityError:
            continue  # a prefix collision (one in 4 billion per pair of keys): draw another
    raise RuntimeError("could not draw a postback key with a free prefix")


def postback_key_revoke(key: PostbackKey, *, actor: Any = None) -> PostbackKey:
    """Stop accepting signatures made with ``key`` (idempotent)."""
    if key.revoked_at is None:
        with transaction.atomic():
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_log(actor=actor, action="postback_key.revoked", target=key, prefix=key.prefix)
    return key


# --- signatures ------------------------------------------------------------------------------


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_postback(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Signature`` header value for ``body`` sent at ``timestamp`` (unix seconds).

    What a merchant's server does, in Python::

        body = json.dumps({"event": "sale", "order_id": "A-1", ...}).encode()
        headers = {"X-Signature": sign_postback(secret, body, int(time.time())),
                   "Content-Type": "application/json"}

    Sign the exact bytes sent: re-serialising the JSON on the way changes them.
    """
    return f"t={timestamp},{SIGNATURE_SCHEME}={_digest(secret, body, timestamp)}"


class SignatureError(Exception):
    """The request is not signed by the brand: say why (for the log and the merchant)."""


def _parse_signature_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError as error:
                raise SignatureError("The signature's timestamp is not a number.") from error
        elif name == SIGNATURE_SCHEME and value:
            signatures.append(value.strip().lower())
    if timestamp is None or not signatures:
        raise SignatureError(f"Send {SIGNATURE_HEADER}: t=<unix seconds>,{SIGNATURE_SCHEME}=<hex HMAC>.")
    return timestamp, signatures


def postback_signature_verify(header: str, body: bytes, *, now: float | None = None) -> PostbackKey:
    """The active key of the current brand that signed ``body``; raises ``SignatureError``.

    Every signature is compared with every active key in constant time; a revoked key
    verifies nothing.
    """
    if not header:
        raise SignatureError(f"The {SIGNATURE_HEADER} header is missing.")
    timestamp, signatures = _parse_signature_header(header)
    now = time.time() if now is None else now
    if abs(int(now) - timestamp) > SIGNATURE_TOLERANCE_SECONDS:  # ints: t may be any size
        raise SignatureError(
            f"The signature's timestamp is more than {SIGNATURE_TOLERANCE_SECONDS} s away from "
            "the server's clock."
        )
    verified = None
    for key in PostbackKey.objects.filter(revoked_at__isnull=True).order_by("pk"):
        expected = _digest(key.secret, body, timestamp)
        for signature in signatures:
            if hmac.compare_digest(expected, signature) and verified is None:
                verified = key
    if verified is None:
        raise SignatureError("No active postback key of this brand signed this body.")
    return verified


# --- payload ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostbackPayload:
    event: PostbackEvent
    order_id: str
    amount: Decimal | None
    currency: str
    click_id: str = ""
    coupon: str = ""
    offer_ref: str = ""
    subscription_ref: str = ""
    refund_id: str = ""
    occurred_at: dt.datetime | None = None


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise field_error(field, "Send a string.", Code.INVALID)
    text = str(value).strip()
    maximum = FIELD_LENGTHS.get(field, 120)
    if len(text) > maximum:
        raise field_error(field, f"Use at most {maximum} characters.", Code.INVALID)
    return text


def _amount(data: dict[str, Any]) -> Decimal | None:
    """A decimal within what an amount column holds; the engine checks the rest (positive, no
    more decimals than the currency has)."""
    value = data.get("amount")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise field_error("amount", 'Send the amount as a decimal string, like "49.90".', Code.INVALID)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as error:
        raise field_error("amount", "Enter an amount like 49.90.", Code.INVALID) from error
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise field_error("amount", f"Enter an amount below {MAX_AMOUNT}.", Code.INVALID)
    return amount


def _occurred_at(data: dict[str, Any]) -> dt.datetime | None:
    value = data.get("occurred_at")
    if value is None or value == "":
        return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise field_error("occurred_at", "Send an ISO 8601 date and time.", Code.INVALID)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    if moment > timezone.now() + MAX_CLOCK_SKEW:
        raise field_error("occurred_at", "This moment is in the future.", Code.INVALID)
    return moment


def postback_payload_parse(data: Any) -> PostbackPayload:
    """Check a decoded JSON body; raise ``ValidationError`` (field, code) for what is wrong.

    ``data`` must be a dict (the view answers 400 for anything else).
    """
    nul = nul_path(data)
    if nul is not None:  # before any field is read: PostgreSQL text cannot hold it
        raise field_error(".".join(nul), NUL_MESSAGE, Code.INVALID_CHARACTER)
    try:
        event = PostbackEvent(data.get("event"))
    except ValueError as error:
        raise field_error(
            "event",
            f"Use one of {', '.join(PostbackEvent)}.",
            Code.INVALID if data.get("event") else Code.REQUIRED,
        ) from error
    order_id = _text(data, "order_id")
    if not order_id:
        raise field_error("order_id", "Give the order id.", Code.REQUIRED)
    amount = _amount(data)
    currency = data.get("currency") or ""
    if not isinstance(currency, str) or (currency and len(currency.strip()) != 3):
        raise field_error("currency", "Use an ISO 4217 code, like EUR.", Code.INVALID)
    currency = currency.strip().upper()
    if event == PostbackEvent.SALE:
        if amount is None:
            raise field_error("amount", "Give the amount of the sale.", Code.REQUIRED)
        if not currency:
            raise field_error("currency", "Give the currency of the sale.", Code.REQUIRED)
    return PostbackPayload(
        event=event,
        order_id=order_id,
        amount=amount,
        currency=currency,
        click_id=_text(data, "click_id"),
        coupon=_text(data, "coupon"),
        offer_ref=_text(data, "offer_ref"),
        subscription_ref=_text(data, "subscription_ref"),
        refund_id=_text(data, "refund_id"),
        occurred_at=_occurred_at(data),
    )


# --- processing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostbackOutcome:
    conversion: Conversion
    commissions: list[Commission]
    created: bool  # False: a replay (same order id, or same refund id); nothing changed


def _refund(payload: PostbackPayload) -> PostbackOutcome:
    source = ConversionSource.POSTBACK
    refund_id = payload.refund_id or payload.order_id  # what conversion_refund defaults to
    with transaction.atomic():
        recorded = Conversion.objects.filter(
            source=source, merchant__isnull=True, order_id=payload.order_id
        ).first()
        if recorded is not None and payload.currency and payload.currency != recorded.currency:
            raise field_error(
                "currency", f"This order was recorded in {recorded.currency}.", Code.CURRENCY_MISMATCH
            )
        result = conversion_refund(
            source=source,
            order_id=payload.order_id,
            refund_id=refund_id,
            amount=payload.amount,
            kind=RefundKind.CHARGEBACK if payload.event == PostbackEvent.CHARGEBACK else RefundKind.REFUND,
        )
    conversion = result.conversion
    return PostbackOutcome(conversion, list(conversion.commissions.all()), created=result.created)


def postback_process(payload: PostbackPayload) -> PostbackOutcome:
    """Record what a verified postback reports, through the affiliate engine's services."""
    if payload.event != PostbackEvent.SALE:
        return _refund(payload)
    result = conversion_record(
        source=ConversionSource.POSTBACK,
        order_id=payload.order_id,
        amount=payload.amount,
        currency=payload.currency,
        click_id=payload.click_id,
        coupon_code=payload.coupon,
        offer_ref=payload.offer_ref,
        subscription_ref=payload.subscription_ref,
        occurred_at=payload.occurred_at,
    )
    return PostbackOutcome(result.conversion, list(result.commissions), created=result.created)


def postback_error(error: ValidationError) -> dict[str, str]:
    """The first error of a service's ``ValidationError`` as ``{code, field, message}``, the
    field named as in the postback's body."""
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        first = errors[0]
    else:
        field, first = "", error.error_list[0]
    message = first.message % first.params if first.params else first.message
    return {
        "code": str(first.code or Code.INVALID),
        "field": _BODY_FIELDS.get(field, field),
        "message": str(message),
    }


def postback_response_body(outcome: PostbackOutcome) -> dict[str, Any]:
    conversion = outcome.conversion
    currency = conversion.currency
    return {
        "conversion": {
            "id": conversion.pk,
            "order_id": conversion.order_id,
            "status": conversion.status,
            "amount": str(quantize(conversion.amount, currency)),
            "refunded_amount": str(quantize(conversion.refunded_amount, currency)),
            "currency": currency,
            "commissions": [
                {
                    "beneficiary_id": commission.beneficiary_id,
                    "level": commission.level,
                    "amount": str(quantize(commission.amount, commission.currency)),
                    "reversed_amount": str(quantize(commission.reversed_amount, commission.currency)),
                    "currency": commission.currency,
                }
                for commission in sorted(outcome.commissions, key=lambda c: (c.level, c.beneficiary_id, c.pk))
            ],
        }
    }
