"""PayPal Payouts (REST, ``/v1/payments/payouts``) behind the payout provider interface.

- OAuth2 client credentials: ``POST /v1/oauth2/token`` (HTTP basic client id:secret,
  ``grant_type=client_credentials``) → ``access_token`` (cached until shortly before
  ``expires_in``).
- ``POST /v1/payments/payouts``: ``sender_batch_header{sender_batch_id, email_subject,
  recipient_type}`` and ``items[{recipient_type: EMAIL, amount{value, currency}, receiver,
  sender_item_id, note}]`` → 201 ``batch_header{payout_batch_id, batch_status}``.
- Idempotency: PayPal completes a ``sender_batch_id`` once in 30 days; a reuse is refused (400
  ``USER_BUSINESS_ERROR``) with a HATEOAS link to the original batch, which we then read: a
  batch sent again after a crash answers the batch already made.
- ``GET /v1/payments/payouts/{payout_batch_id}`` → ``items[{payout_item_id, transaction_status,
  payout_item{sender_item_id…}, errors{name, message}}]``.
- Errors: ``{name, message, debug_id, details[{field, issue}], links}``. 4xx other than the
  duplicate → ``PayoutProviderError`` (nothing paid); 5xx and network errors → ``PayPalUnavailable``
  (outcome unknown: the run is sent again later with the same ``sender_batch_id``).
- Webhooks: ``verify_webhook_signature`` (``POST /v1/notifications/verify-webhook-signature``)
  and ``item_outcome`` (a ``PAYMENT.PAYOUTS-ITEM.*`` event → the item's outcome).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

from payouts.providers import register
from payouts.providers.base import (
    BasePayoutProvider,
    BatchResult,
    ItemResult,
    ItemStatus,
    PayoutItem,
    PayoutProviderError,
)

# transaction_status of a payout item → our outcome.
TRANSACTION_STATUSES: dict[str, ItemStatus] = {
    "SUCCESS": ItemStatus.SUCCEEDED,
    "FAILED": ItemStatus.FAILED,
    "RETURNED": ItemStatus.FAILED,
    "BLOCKED": ItemStatus.FAILED,
    "REFUNDED": ItemStatus.FAILED,
    "REVERSED": ItemStatus.FAILED,
    "DENIED": ItemStatus.FAILED,
    "CANCELED": ItemStatus.FAILED,
    "PENDING": ItemStatus.PENDING,
    "NEW": ItemStatus.PENDING,
    "UNCLAIMED": ItemStatus.PENDING,  # sent; returned after 30 days unless claimed
    "ONHOLD": ItemStatus.PENDING,
}
# Webhook event types of payout items → our outcome.
ITEM_EVENTS: dict[str, ItemStatus] = {
    "PAYMENT.PAYOUTS-ITEM.SUCCEEDED": ItemStatus.SUCCEEDED,
    "PAYMENT.PAYOUTS-ITEM.FAILED": ItemStatus.FAILED,
    "PAYMENT.PAYOUTS-ITEM.RETURNED": ItemStatus.FAILED,
    "PAYMENT.PAYOUTS-ITEM.BLOCKED": ItemStatus.FAILED,
    "PAYMENT.PAYOUTS-ITEM.DENIED": ItemStatus.FAILED,
    "PAYMENT.PAYOUTS-ITEM.CANCELED": ItemStatus.FAILED,
    "PAYMENT.PAYOUTS-ITEM.REFUNDED": ItemStatus.FAILED,
    "PAYMENT.PAYOUTS-ITEM.UNCLAIMED": ItemStatus.PENDING,
    "PAYMENT.PAYOUTS-ITEM.HELD": ItemStatus.PENDING,
}
PENDING_NOTES = {
    "UNCLAIMED": "Unclaimed: the receiver has no PayPal account for this email yet (returned after 30 days).",
    "ONHOLD": "On hold at PayPal (under review).",
    "HELD": "On hold at PayPal (under review).",
}
TRANSMISSION_HEADERS = {
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
    "cert_url": "PAYPAL-CERT-URL",
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
}


class PayPalUnavailable(Exception):
    """PayPal could not be reached or answered 5xx: the outcome is unknown, send again."""


class PayPalError(PayoutProviderError):
    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.body = body
        self.name = str(body.get("name", ""))
        message = str(body.get("message") or body.get("error_description") or f"HTTP {status}")
        issues = "; ".join(str(d.get("issue", "")) for d in body.get("details") or [] if isinstance(d, dict))
        debug = f" (debug_id {body['debug_id']})" if body.get("debug_id") else ""
        super().__init__(f"PayPal {self.name or status}: {message}{': ' + issues if issues else ''}{debug}")


_token_lock = threading.Lock()
_token: dict[str, Any] = {}


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


class PayPalClient:
    def __init__(self) -> None:
        self.base = settings.PAYPAL_API_BASE.rstrip("/")
        self.timeout = settings.PAYPAL_TIMEOUT_SECONDS

    def _access_token(self, *, renew: bool = False) -> str:
        key = (self.base, settings.PAYPAL_CLIENT_ID)
        with _token_lock:
            if not renew and _token.get("key") == key and _token.get("expires", 0) > time.monotonic():
                return str(_token["value"])
            try:
                response = httpx.post(
                    f"{self.base}/v1/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=(settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET),
                    headers={"Accept": "application/json"},
                    timeout=self.timeout,
                )
            except httpx.HTTPError as error:
                raise PayPalUnavailable(f"PayPal token: {error}") from error
            if response.status_code >= 500:
                raise PayPalUnavailable(f"PayPal token: HTTP {response.status_code}")
            body = response.json()
            if response.status_code != 200:
                raise PayPalError(response.status_code, body)
            _token.update(
                key=key,
                value=body["access_token"],
                expires=time.monotonic() + max(int(body.get("expires_in", 300)) - 60, 30),
            )
            return str(body["access_token"])

    def request(self, method: str, path: str, *, json: Any = None) -> tuple[int, dict[str, Any]]:
        """(status, body) of a call; 5xx and network errors raise ``PayPalUnavailable``."""
        url = path if path.startswith("http") else f"{self.base}{path}"
        for attempt in (0, 1):
            token = self._access_token(renew=attempt == 1)
            try:
                response = httpx.request(
                    method,
                    url,
                    json=json,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=self.timeout,
                )
            except httpx.HTTPError as error:
                raise PayPalUnavailable(f"PayPal {method} {path}: {error}") from error
            if response.status_code == 401 and attempt == 0:
                continue  # the token expired early: once more with a fresh one
            if response.status_code >= 500:
                raise PayPalUnavailable(f"PayPal {method} {path}: HTTP {response.status_code}")
            try:
                body = response.json() if response.content else {}
            except ValueError:
                body = {"message": response.text[:200]}
            return response.status_code, body
        raise PayPalUnavailable("PayPal refused a fresh token")  # pragma: no cover


def _self_link(body: Mapping[str, Any]) -> str:
    for link in body.get("links") or []:
        if isinstance(link, dict) and "/v1/payments/payouts/" in str(link.get("href", "")):
            return str(link["href"]).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return ""


def _is_duplicate(status: int, body: Mapping[str, Any]) -> bool:
    if status not in (400, 409, 422) or body.get("name") not in ("USER_BUSINESS_ERROR", "DUPLICATE_REQUEST"):
        return False
    text = " ".join(
        [str(body.get("message", ""))]
        + [
            f"{d.get('field', '')} {d.get('issue', '')}"
            for d in body.get("details") or []
            if isinstance(d, dict)
        ]
    ).lower()
    return "sender_batch_id" in text or "duplicate" in text


def item_result(item: Mapping[str, Any]) -> ItemResult | None:
    """Our outcome of one item of a batch (or of a webhook's resource)."""
    payout_item = item.get("payout_item") or {}
    reference = str(payout_item.get("sender_item_id") or item.get("sender_item_id") or "")
    if not reference:
        return None
    transaction_status = str(item.get("transaction_status", "")).upper()
    status = TRANSACTION_STATUSES.get(transaction_status, ItemStatus.PENDING)
    errors = item.get("errors") or {}
    if isinstance(errors, list):
        errors = errors[0] if errors else {}
    error = ""
    if status == ItemStatus.FAILED:
        error = str(errors.get("message") or errors.get("name") or f"PayPal: {transaction_status.lower()}")
        if errors.get("name"):
            error = f"{errors['name']}: {error}" if errors.get("message") else error
    elif transaction_status in PENDING_NOTES:
        error = PENDING_NOTES[transaction_status]
    return ItemResult(
        reference=reference, status=status, remote_id=str(item.get("payout_item_id", "")), error=error[:500]
    )


def item_outcome(event: Mapping[str, Any]) -> ItemResult | None:
    """The outcome a ``PAYMENT.PAYOUTS-ITEM.*`` webhook event reports, or None (other events)."""
    event_type = str(event.get("event_type", ""))
    status = ITEM_EVENTS.get(event_type)
    resource = event.get("resource")
    if status is None or not isinstance(resource, dict):
        return None
    result = item_result(resource)
    if result is None:
        return None
    suffix = event_type.rsplit(".", 1)[-1]
    error = result.error
    if status == ItemStatus.FAILED and not error:
        error = f"PayPal: {suffix.lower()}"
    elif status == ItemStatus.PENDING:
        error = PENDING_NOTES.get(suffix, error)
    return ItemResult(reference=result.reference, status=status, remote_id=result.remote_id, error=error)


@register
class PayPalProvider(BasePayoutProvider):
    identifier = "paypal"
    verbose_name = "PayPal"

    def is_configured(self) -> bool:
        return bool(settings.PAYPAL_CLIENT_ID and settings.PAYPAL_CLIENT_SECRET and settings.PAYPAL_API_BASE)

    def send_batch(self, *, batch_reference: str, items: Sequence[PayoutItem]) -> BatchResult:
        client = PayPalClient()
        body = {
            "sender_batch_header": {
                "sender_batch_id": batch_reference,
                "email_subject": settings.PAYPAL_EMAIL_SUBJECT,
                "recipient_type": "EMAIL",
            },
            "items": [
                {
                    "recipient_type": "EMAIL",
                    "amount": {"value": _money(item.amount), "currency": item.currency},
                    "receiver": str(item.details.get("email", "")),
                    "sender_item_id": item.reference,
                    "note": f"Withdrawal {item.withdrawal_id}",
                }
                for item in items
            ],
        }
        status, answer = client.request("POST", "/v1/payments/payouts", json=body)
        if status in (200, 201):
            batch_id = str((answer.get("batch_header") or {}).get("payout_batch_id", ""))
        elif _is_duplicate(status, answer):
            batch_id = _self_link(answer)  # sent before (a crash, a retry): read that batch
            if not batch_id:
                raise PayPalUnavailable(f"PayPal: {batch_reference} exists, without a link to it")
        else:
            raise PayPalError(status, answer)
        return self.fetch_batch(batch_id, client=client)

    def fetch_batch(self, payout_batch_id: str, *, client: PayPalClient | None = None) -> BatchResult:
        """The batch and every item's outcome so far (pages of 1,000)."""
        client = client or PayPalClient()
        results: list[ItemResult] = []
        page = 1
        while True:
            status, answer = client.request(
                "GET",
                f"/v1/payments/payouts/{payout_batch_id}?page={page}&page_size=1000&total_required=true",
            )
            if status != 200:
                raise PayPalError(status, answer)
            denied = str((answer.get("batch_header") or {}).get("batch_status", "")) == "DENIED"
            for item in answer.get("items") or []:
                result = item_result(item)
                if result is None:
                    continue
                if denied and result.status == ItemStatus.PENDING:
                    result = ItemResult(
                        result.reference, ItemStatus.FAILED, result.remote_id, "PayPal denied the batch"
                    )
                results.append(result)
            total_pages = int(answer.get("total_pages") or 1)
            if page >= total_pages or not answer.get("items"):
                break
            page += 1
        return BatchResult(remote_batch_id=payout_batch_id, items=tuple(results))


def verify_webhook_signature(headers: Mapping[str, str], event: Mapping[str, Any]) -> bool:
    """PayPal's verdict on a webhook delivery (``verification_status == "SUCCESS"``)."""
    if not settings.PAYPAL_WEBHOOK_ID:
        return False
    body: dict[str, Any] = {}
    for field, header in TRANSMISSION_HEADERS.items():
        value = headers.get(header, "")
        if not value:
            return False
        body[field] = value
    body["webhook_id"] = settings.PAYPAL_WEBHOOK_ID
    body["webhook_event"] = event
    status, answer = PayPalClient().request("POST", "/v1/notifications/verify-webhook-signature", json=body)
    return status == 200 and answer.get("verification_status") == "SUCCESS"
