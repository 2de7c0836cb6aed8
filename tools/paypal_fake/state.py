"""The fake's state: tokens, batches, items, webhooks to deliver (thread-safe, in memory)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import secrets
import threading
import zlib
from decimal import Decimal, InvalidOperation
from typing import Any

JSON = dict[str, Any]
SIGNING_KEY = b"paypal-fake-signing-key"
AUTH_ALGO = "SHA256withRSA"
CERT_NAME = "CERT-360caa42-fca2a594-fake"

ITEM_EVENT = {
    "SUCCESS": "PAYMENT.PAYOUTS-ITEM.SUCCEEDED",
    "FAILED": "PAYMENT.PAYOUTS-ITEM.FAILED",
    "RETURNED": "PAYMENT.PAYOUTS-ITEM.RETURNED",
    "UNCLAIMED": "PAYMENT.PAYOUTS-ITEM.UNCLAIMED",
    "BLOCKED": "PAYMENT.PAYOUTS-ITEM.BLOCKED",
    "DENIED": "PAYMENT.PAYOUTS-ITEM.DENIED",
    "CANCELED": "PAYMENT.PAYOUTS-ITEM.CANCELED",
    "REFUNDED": "PAYMENT.PAYOUTS-ITEM.REFUNDED",
    "ONHOLD": "PAYMENT.PAYOUTS-ITEM.HELD",
}


class PayPalError(Exception):
    def __init__(self, status: int, name: str, message: str, details: list[JSON] | None = None, **extra: Any):
        super().__init__(message)
        self.status = status
        self.body: JSON = {
            "name": name,
            "message": message,
            "debug_id": secrets.token_hex(6),
            "information_link": f"https://developer.paypal.com/docs/api/payments.payouts-batch/v1/#errors/{name.lower()}",
        }
        if details:
            self.body["details"] = details
        self.body.update(extra)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(length: int = 13) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def outcome_for(receiver: str) -> list[str]:
    """The transaction statuses an item goes through after PENDING, by its receiver's email."""
    email = receiver.lower()
    if "fail" in email:
        return ["FAILED"]
    if "unclaimed" in email:
        return ["UNCLAIMED"]
    if "return" in email:
        return ["SUCCESS", "RETURNED"]
    if "hold" in email:
        return ["ONHOLD"]
    return ["SUCCESS"]


def canonical(event: Any) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def signature(transmission_id: str, transmission_time: str, webhook_id: str, event: Any) -> str:
    """Stand-in for PayPal's RSA signature of ``<id>|<time>|<webhook id>|<crc32 of the body>``."""
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(canonical(event))}"
    return base64.b64encode(hmac.new(SIGNING_KEY, message.encode(), hashlib.sha256).digest()).decode()


class State:
    def __init__(self, *, client_id: str | None, client_secret: str | None, base_url: str = "") -> None:
        self.lock = threading.RLock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = base_url
        self.tokens: set[str] = set()
        self.batches: dict[str, JSON] = {}
        self.by_sender_batch_id: dict[str, str] = {}
        self.items: dict[str, JSON] = {}
        self.webhooks: list[JSON] = []  # {"id": "WH-…", "url": …}
        self.outbox: list[JSON] = []  # deliveries waiting (manual delivery mode)
        self.deliveries: list[JSON] = []  # what was sent, with the answer's status
        self.events: list[JSON] = []
        self.payments: list[JSON] = []  # money that left: one per item paid (never twice)
        # Switches (``/_fake/config``).
        self.auto_process = True  # process a batch's items right after it is created
        self.auto_deliver = True  # deliver webhooks in the background (else: ``/_fake/deliver``)
        self.duplicates = False  # deliver every event twice
        self.shuffle = False  # deliver each round of events in random order
        self.fail_next_creates = 0  # answer the next N batch creations 503 AFTER making the batch

    # -- auth ------------------------------------------------------------------------------------

    def token_issue(self, client_id: str, client_secret: str) -> JSON:
        if self.client_id is not None and (client_id, client_secret) != (self.client_id, self.client_secret):
            raise PayPalError(401, "invalid_client", "Client Authentication failed")
        token = "A21AA" + secrets.token_urlsafe(40)
        with self.lock:
            self.tokens.add(token)
        return {
            "scope": "https://uri.paypal.com/services/payments/payouts https://uri.paypal.com/services/payments/realtimepayment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": 32400,
            "nonce": f"{now_iso()}{secrets.token_hex(8)}",
        }

    def check_token(self, header: str | None) -> None:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            raise PayPalError(
                401,
                "AUTHENTICATION_FAILURE",
                "Authentication failed due to invalid authentication credentials or a missing "
                "Authorization header.",
            )

    # -- payouts ---------------------------------------------------------------------------------

    def batch_link(self, batch_id: str) -> JSON:
        return {
            "href": f"{self.base_url}/v1/payments/payouts/{batch_id}",
            "rel": "self",
            "method": "GET",
            "encType": "application/json",
        }

    def payout_create(self, body: Any) -> JSON:
        if not isinstance(body, dict):
            raise PayPalError(400, "MALFORMED_REQUEST", "Incoming JSON request does not map to API request")
        header = body.get("sender_batch_header")
        items = body.get("items")
        details: list[JSON] = []
        if not isinstance(header, dict):
            details.append(
                {"field": "sender_batch_header", "location": "body", "issue": "Required field is missing."}
            )
            header = {}
        if not isinstance(items, list) or not items:
            details.append({"field": "items", "location": "body", "issue": "Required field is missing."})
            items = []
        if len(items) > 15000:
            details.append({"field": "items", "location": "body", "issue": "Maximum of 15000 items."})
        cleaned: list[JSON] = []
        seen_ids: set[str] = set()
        for index, item in enumerate(items):
            where = f"items[{index}]"
            if not isinstance(item, dict):
                details.append({"field": where, "location": "body", "issue": "Invalid item."})
                continue
            amount = item.get("amount") or {}
            try:
                value = Decimal(str(amount.get("value")))
                valid = value > 0 and value == value.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                valid = False
            if not valid:
                details.append(
                    {"field": f"{where}.amount.value", "location": "body", "issue": "Invalid amount."}
                )
            currency = str(amount.get("currency", ""))
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                details.append(
                    {"field": f"{where}.amount.currency", "location": "body", "issue": "Invalid currency."}
                )
            recipient_type = item.get("recipient_type") or header.get("recipient_type") or "EMAIL"
            receiver = str(item.get("receiver", ""))
            if recipient_type not in ("EMAIL", "PHONE", "PAYPAL_ID"):
                details.append(
                    {
                        "field": f"{where}.recipient_type",
                        "location": "body",
                        "issue": "Invalid recipient type.",
                    }
                )
            if not receiver or (recipient_type == "EMAIL" and "@" not in receiver):
                details.append(
                    {
                        "field": f"{where}.receiver",
                        "location": "body",
                        "issue": "Receiver is invalid or does not match with type.",
                    }
                )
            sender_item_id = str(item.get("sender_item_id", ""))
            if sender_item_id and sender_item_id in seen_ids:
                raise PayPalError(
                    400,
                    "DUPLICATE_ITEM",
                    "This transaction is duplicated in this batch. Please check the Ref_ID / Sender_Item_ID.",
                )
            seen_ids.add(sender_item_id)
            cleaned.append({**item, "recipient_type": recipient_type})
        if details:
            raise PayPalError(400, "VALIDATION_ERROR", "Invalid request - see details", details)
        sender_batch_id = str(header.get("sender_batch_id") or "")
        with self.lock:
            if sender_batch_id and sender_batch_id in self.by_sender_batch_id:
                batch_id = self.by_sender_batch_id[sender_batch_id]
                raise PayPalError(
                    400,
                    "USER_BUSINESS_ERROR",
                    "User business error.",
                    [
                        {
                            "field": "SENDER_BATCH_ID",
                            "location": "body",
                            "issue": f"Batch with given sender_batch_id already exists: {sender_batch_id}",
                        }
                    ],
                    links=[self.batch_link(batch_id)],
                )
            batch_id = new_id()
            batch: JSON = {
                "batch_header": {
                    "payout_batch_id": batch_id,
                    "batch_status": "PENDING",
                    "time_created": now_iso(),
                    "sender_batch_header": {
                        k: v
                        for k, v in header.items()
                        if k in ("sender_batch_id", "email_subject", "email_message", "recipient_type")
                    },
                    "amount": {
                        "currency": cleaned[0]["amount"]["currency"],
                        "value": str(sum(Decimal(str(i["amount"]["value"])) for i in cleaned)),
                    },
                    "fees": {"currency": cleaned[0]["amount"]["currency"], "value": "0.00"},
                },
                "item_ids": [],
            }
            for item in cleaned:
                item_id = new_id()
                self.items[item_id] = {
                    "payout_item_id": item_id,
                    "transaction_id": "",
                    "transaction_status": "PENDING",
                    "payout_batch_id": batch_id,
                    "payout_item_fee": {"currency": item["amount"]["currency"], "value": "0.00"},
                    "payout_item": {
                        "recipient_type": item["recipient_type"],
                        "amount": {
                            "currency": item["amount"]["currency"],
                            "value": str(item["amount"]["value"]),
                        },
                        "note": str(item.get("note", "")),
                        "receiver": str(item["receiver"]),
                        "sender_item_id": str(item.get("sender_item_id", "")),
                    },
                    "time_processed": None,
                    "_script": outcome_for(str(item["receiver"])),
                }
                batch["item_ids"].append(item_id)
            self.batches[batch_id] = batch
            if sender_batch_id:
                self.by_sender_batch_id[sender_batch_id] = batch_id
        return {
            "batch_header": {
                "payout_batch_id": batch_id,
                "batch_status": "PENDING",
                "sender_batch_header": batch["batch_header"]["sender_batch_header"],
            },
            "links": [self.batch_link(batch_id)],
        }

    def render_item(self, item: JSON) -> JSON:
        rendered = {k: v for k, v in item.items() if not k.startswith("_") and v is not None}
        rendered["links"] = [
            {
                "href": f"{self.base_url}/v1/payments/payouts-item/{item['payout_item_id']}",
                "rel": "item",
                "method": "GET",
            },
            self.batch_link(item["payout_batch_id"]) | {"rel": "batch"},
        ]
        return rendered

    def batch_get(self, batch_id: str, page: int = 1, page_size: int = 1000) -> JSON:
        with self.lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                raise PayPalError(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
            ids = batch["item_ids"]
            page_size = max(1, min(page_size, 1000))
            chosen = ids[(page - 1) * page_size : page * page_size]
            return {
                "total_items": len(ids),
                "total_pages": max(1, -(-len(ids) // page_size)),
                "batch_header": dict(batch["batch_header"]),
                "items": [self.render_item(self.items[i]) for i in chosen],
                "links": [self.batch_link(batch_id)],
            }

    def item_get(self, item_id: str) -> JSON:
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                raise PayPalError(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
            return self.render_item(item)

    # -- processing and events -------------------------------------------------------------------

    def _event(self, event_type: str, resource_type: str, resource: JSON, summary: str) -> JSON:
        event = {
            "id": "WH-" + new_id(17),
            "event_version": "1.0",
            "create_time": now_iso(),
            "resource_type": resource_type,
            "event_type": event_type,
            "summary": summary,
            "resource": resource,
            "links": [
                {
                    "href": f"{self.base_url}/v1/notifications/webhooks-events/WH-x",
                    "rel": "self",
                    "method": "GET",
                },
            ],
        }
        self.events.append(event)
        return event

    def set_item_status(self, item_id: str, status: str) -> JSON:
        """Move an item to ``status`` and record its webhook event (under the lock)."""
        item = self.items[item_id]
        item["transaction_status"] = status
        item["time_processed"] = now_iso()
        if status == "SUCCESS" and not item["transaction_id"]:
            item["transaction_id"] = new_id(17)
            self.payments.append(
                {
                    "payout_item_id": item_id,
                    "receiver": item["payout_item"]["receiver"],
                    "amount": item["payout_item"]["amount"],
                    "sender_item_id": item["payout_item"]["sender_item_id"],
                }
            )
        if status == "FAILED":
            item["errors"] = {
                "name": "RECEIVER_UNREGISTERED",
                "message": "Receiver is unregistered",
                "information_link": "https://developer.paypal.com/docs/api/payments.payouts-batch/v1/#errors",
            }
        resource = self.render_item(item)
        return self._event(ITEM_EVENT[status], "payouts_item", resource, f"A payout item is {status.lower()}")

    def process_batch(self, batch_id: str) -> list[JSON]:
        """Every pending item of the batch reaches its scripted outcome; returns the events."""
        with self.lock:
            batch = self.batches[batch_id]
            events: list[JSON] = []
            for item_id in batch["item_ids"]:
                item = self.items[item_id]
                script = item.get("_script") or []
                while script:
                    events.append(self.set_item_status(item_id, script.pop(0)))
            header = batch["batch_header"]
            if header["batch_status"] in ("PENDING", "PROCESSING"):
                header["batch_status"] = "SUCCESS"
                header["time_completed"] = now_iso()
                resource = {"batch_header": dict(header), "links": [self.batch_link(batch_id)]}
                events.append(
                    self._event(
                        "PAYMENT.PAYOUTSBATCH.SUCCESS",
                        "payouts",
                        resource,
                        "Payouts batch completed successfully.",
                    )
                )
            return events

    # -- webhooks --------------------------------------------------------------------------------

    def webhook_add(self, url: str, webhook_id: str | None = None) -> JSON:
        with self.lock:
            webhook = {"id": webhook_id or "WH-" + new_id(17), "url": url}
            self.webhooks.append(webhook)
            return webhook

    def deliveries_for(self, events: list[JSON]) -> list[JSON]:
        """The HTTP requests these events make (per webhook), with duplicates/shuffle applied."""
        requests: list[JSON] = []
        for webhook in list(self.webhooks):
            for event in events:
                copies = 2 if self.duplicates else 1
                for _ in range(copies):
                    transmission_id = secrets.token_hex(16)
                    transmission_time = now_iso()
                    requests.append(
                        {
                            "url": webhook["url"],
                            "webhook_id": webhook["id"],
                            "event": event,
                            "headers": {
                                "Content-Type": "application/json",
                                "PAYPAL-TRANSMISSION-ID": transmission_id,
                                "PAYPAL-TRANSMISSION-TIME": transmission_time,
                                "PAYPAL-TRANSMISSION-SIG": signature(
                                    transmission_id, transmission_time, webhook["id"], event
                                ),
                                "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/{CERT_NAME}",
                                "PAYPAL-AUTH-ALGO": AUTH_ALGO,
                                "PAYPAL-AUTH-VERSION": "v2",
                            },
                        }
                    )
        if self.shuffle:
            random.shuffle(requests)
        return requests

    def verify(self, body: Any) -> JSON:
        if not isinstance(body, dict):
            raise PayPalError(400, "MALFORMED_REQUEST", "Incoming JSON request does not map to API request")
        missing = [
            f
            for f in (
                "auth_algo",
                "cert_url",
                "transmission_id",
                "transmission_sig",
                "transmission_time",
                "webhook_id",
                "webhook_event",
            )
            if not body.get(f)
        ]
        if missing:
            raise PayPalError(
                400,
                "VALIDATION_ERROR",
                "Invalid request - see details",
                [{"field": f, "location": "body", "issue": "MISSING_REQUIRED_PARAMETER"} for f in missing],
            )
        known = any(w["id"] == body["webhook_id"] for w in self.webhooks)
        expected = signature(
            str(body["transmission_id"]),
            str(body["transmission_time"]),
            str(body["webhook_id"]),
            body["webhook_event"],
        )
        genuine = (
            known
            and body["auth_algo"] == AUTH_ALGO
            and hmac.compare_digest(expected, str(body["transmission_sig"]))
        )
        return {"verification_status": "SUCCESS" if genuine else "FAILURE"}
