"""Stripe webhooks: verified, routed to their brand, stored and applied exactly once.

1. The signature is checked with ``stripe.Webhook.construct_event`` (HMAC-SHA256 of
   ``"{t}.{payload}"`` with STRIPE_WEBHOOK_SECRET, five minutes of tolerance). A bad one is a
   400, logged with the reason; nothing is stored.
2. The brand is found in the public ``StripeObjectRoute`` table by the id of the event's object,
   then by its subscription, its customer, its payment intent, and last by ``metadata.brand``
   (every object the platform creates carries it). An event no brand claims is acknowledged
   (200) and logged as unrouted: it is about an object the platform did not create (another
   integration on the same account, a brand since deleted), no retry can route it, and Stripe
   would otherwise retry it for three days and then disable the endpoint for everyone.
3. Inside the brand's schema, in one transaction: the event is stored in ``StripeEvent``
   (``event_id`` is unique, so a redelivery, or two concurrent deliveries, finds it there and is
   acknowledged without effect) and applied. If applying fails the transaction rolls back,
   nothing is stored, and the 5xx makes Stripe deliver it again later.
4. Order and timing do not matter. Stripe delivers at least once, in no particular order,
   sometimes days late. An event is *stale* when another event about the same object, as
   recent or more, was already applied (``StripeEvent.object_id`` / ``created``): its snapshot
   may be older than what we hold, so the object is read again from Stripe and the handlers get
   its current state (still with the event's type and time). Every handled object type can be
   read again (``_REREADERS``: payments' own, plus those the apps above register with
   ``stripe_object_reader``), on the event's connected account when it has one; handlers judge
   the object's own state (an invoice's ``status``, a session's ``payment_status``), never the
   event's name alone, and their effects are idempotent per object (a payment per invoice id, a
   refund per refund id, a confirmation per session), so a re-read or duplicate applies nothing twice.
5. API version. The endpoint must be pinned to the SDK's version (``stripe.api_version``,
   README "Stripe"). An event rendered in another version (an endpoint left on the account's
   default, a version upgrade half done) is not parsed from its payload: its object is read
   again through the SDK, which renders it in the pinned version, so handlers only ever see
   the shape they were written for; it is logged and counted
   (``afp_stripe_webhook_version_mismatches``, action ``reread``). An object that cannot be
   read again is refused loudly (logged as an error, counted with action ``refused``, answered
   400 so nothing is stored and Stripe keeps retrying for three days, visible on its dashboard
   as failing, until the endpoint is fixed).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.tenancy import call_in_public, call_in_tenant, current_schema
from payments.error_codes import PaymentErrorCode
from payments.models import StripeEvent
from payments.stripe_client import invoice_subscription_id, object_id, timestamp
from tenants.models import StripeObjectRoute, Tenant, TenantKind

logger = logging.getLogger(__name__)

# What the platform listens to (configure the Stripe endpoint with these).
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "charge.refunded",
    # Stripe Connect (payouts.stripe_webhooks): transfers are the platform's own events; the
    # connected accounts' events (``account`` set) come from the Connect endpoint.
    "transfer.created",
    "transfer.reversed",
    "account.updated",
    "payout.failed",
)


StripeEventHandler = Callable[[Mapping[str, Any], dt.datetime], str | None]
_HANDLERS: dict[str, list[StripeEventHandler]] = {}
# What an event no handler recognised is recorded as.
_UNCLAIMED = {
    "checkout.session.completed": "not an order or subscription session",
    "checkout.session.async_payment_succeeded": "not an order or subscription session",
    "checkout.session.async_payment_failed": "not an order session",
    "checkout.session.expired": "subscription checkout abandoned",
    "charge.refunded": "0 membership refunds applied",
}


def stripe_event_handler(*event_types: str) -> Callable[[StripeEventHandler], StripeEventHandler]:
    """Register a handler of Stripe events (from the owning app's ``subscribers`` module).

    The handler runs inside the brand's schema and the transaction that stores the event; it
    returns the outcome to record, or None when the object is not its own (another handler, or
    none, then takes it). Raising rolls the event back so that Stripe delivers it again. This is
    how ``marketplace`` (order checkouts, card refunds) and ``billing`` (subscriptions, their
    invoices and refunds) receive Stripe's events without ``payments`` importing them.
    """
    unknown = set(event_types) - set(HANDLED_EVENTS)
    if unknown:
        raise ValueError(f"not events the Stripe endpoint listens to: {sorted(unknown)}")

    def register(handler: StripeEventHandler) -> StripeEventHandler:
        for event_type in event_types:
            if handler not in _HANDLERS.setdefault(event_type, []):
                _HANDLERS[event_type].append(handler)
        return handler

    return register


_CURRENT_EVENT: ContextVar[Mapping[str, Any] | None] = ContextVar("stripe_event", default=None)


def event_account() -> str:
    """The connected account (``acct_…``) the event being applied happened on; "" for the
    platform's own events. For handlers, whose object alone may not say it (a payout)."""
    event = _CURRENT_EVENT.get()
    return str((event or {}).get("account") or "")


class WebhookRejectedError(Exception):
    """The request is not a genuine Stripe event (bad signature, not JSON, no secret set)."""


class RetryLaterError(Exception):
    """Applying the event needs Stripe (or something else) that is unavailable right now."""


class EventVersionRefusedError(WebhookRejectedError):
    """The event is rendered in another API version and its object cannot be read again."""


def pinned_api_version() -> str:
    """The API version the platform speaks: the SDK's, which every request sends."""
    return str(stripe.api_version)


StripeObjectReader = Callable[[Any, str, str], Any]
"""Reads one Stripe object again: ``(client, object id, account)``, where ``account`` is the
connected account (``acct_…``) the event happened on, "" for the platform's own events. An
object that lives on a connected account (a payout to its bank) exists only for requests made
on that account (``options={"stripe_account": account}``); read without it, Stripe answers
``resource_missing``."""


def account_options(account: str) -> dict[str, Any] | None:
    """Request options that act on the connected account ``account`` ("" : the platform)."""
    return {"stripe_account": account} if account else None


# How each object type the platform handles is read again (in the pinned version). Payments' own
# objects are here; the apps above register theirs with ``stripe_object_reader`` (Connect's
# transfers, accounts and payouts: ``payouts.stripe_webhooks``).
_REREADERS: dict[str, StripeObjectReader] = {
    "subscription": lambda client, oid, account: client.v1.subscriptions.retrieve(
        oid, options=account_options(account)
    ),
    "invoice": lambda client, oid, account: client.v1.invoices.retrieve(
        oid, options=account_options(account)
    ),
    "checkout.session": lambda client, oid, account: client.v1.checkout.sessions.retrieve(
        oid, options=account_options(account)
    ),
    "charge": lambda client, oid, account: client.v1.charges.retrieve(oid, options=account_options(account)),
    "payment_intent": lambda client, oid, account: client.v1.payment_intents.retrieve(
        oid, options=account_options(account)
    ),
    "refund": lambda client, oid, account: client.v1.refunds.retrieve(oid, options=account_options(account)),
}


def stripe_object_reader(object_type: str) -> Callable[[StripeObjectReader], StripeObjectReader]:
    """Register how an object type that an app's handlers receive is read again (from the app's
    ``ready()``, beside its ``stripe_event_handler`` registrations): without one, an event about
    such an object rendered in another API version is refused, and a stale one is applied from
    its snapshot. One reader per type; registering the same reader again is harmless."""

    def register(reader: StripeObjectReader) -> StripeObjectReader:
        known = _REREADERS.get(object_type)
        if known is not None and known is not reader:
            raise ValueError(f"Stripe objects of type {object_type!r} already have a reader")
        _REREADERS[object_type] = reader
        return reader

    return register


def object_reread(obj: Mapping[str, Any], account: str = "") -> dict[str, Any] | None:
    """The object's current state in Stripe (None: not a type we read again), read on the
    connected account ``account`` when the event happened on one. Stripe being unreachable raises
    RetryLaterError (the event is delivered again later)."""
    from payments.stripe_client import plain, stripe_client

    reader = _REREADERS.get(str(obj.get("object") or ""))
    object_id_ = str(obj.get("id") or "")
    if reader is None or not object_id_:
        return None
    try:
        return plain(reader(stripe_client(), object_id_, account))
    except stripe.StripeError as error:
        raise RetryLaterError(f"could not read {obj.get('object')} {object_id_} again: {error}") from error


@dataclass(frozen=True)
class WebhookResult:
    status: str  # applied, duplicate, unrouted
    outcome: str = ""
    brand: str = ""


def event_verify(payload: bytes, signature: str) -> dict[str, Any]:
    """The event as plain JSON, once its signature is proven (raises WebhookRejectedError)."""
    # Stripe signs the account endpoint and the Connect endpoint (events of connected accounts)
    # with a secret each; both may point at this URL.
    candidates = [s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s]
    if not candidates:
        raise WebhookRejectedError("STRIPE_WEBHOOK_SECRET is not set")
    try:
        for index, secret in enumerate(candidates):
            try:
                stripe.Webhook.construct_event(
                    payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
                )
                break
            except stripe.SignatureVerificationError:
                if index == len(candidates) - 1:
                    raise
        event = json.loads(payload)
    except stripe.SignatureVerificationError as error:
        raise WebhookRejectedError(f"bad signature: {error.user_message or error}") from error
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise WebhookRejectedError(f"not a JSON event: {error}") from error
    if not isinstance(event, dict) or not isinstance((event.get("data") or {}).get("object"), dict):
        raise WebhookRejectedError("not an event")
    return event


def _metadata_brands(obj: Mapping[str, Any]) -> list[str]:
    places = [
        obj.get("metadata"),
        ((obj.get("parent") or {}).get("subscription_details") or {}).get("metadata"),
        (obj.get("subscription_details") or {}).get("metadata"),
    ]
    return [str(place["brand"]) for place in places if isinstance(place, Mapping) and place.get("brand")]


def event_route(event: Mapping[str, Any]) -> Any:
    """The brand (Tenant) an event belongs to, or None. Runs in the public schema."""
    obj = event["data"]["object"]
    candidates = [
        str(obj.get("id") or ""),
        invoice_subscription_id(obj)
        if obj.get("object") == "invoice"
        else object_id(obj.get("subscription")),
        object_id(obj.get("customer")),
        object_id(obj.get("payment_intent")),
        str(event.get("account") or ""),  # an event on a connected account
    ]
    candidates = [candidate for candidate in candidates if candidate]
    routes = {
        route.stripe_id: route.tenant
        for route in StripeObjectRoute.objects.select_related("tenant").filter(
            stripe_id__in=candidates, tenant__kind=TenantKind.BRAND
        )
    }
    for candidate in candidates:
        if candidate in routes:
            return routes[candidate]
    for schema_name in _metadata_brands(obj):
        tenant = Tenant.objects.filter(schema_name=schema_name, kind=TenantKind.BRAND).first()
        if tenant is not None:
            return tenant
    return None


def event_process(event: Mapping[str, Any]) -> WebhookResult:
    """Store and apply the event in the current brand's schema, exactly once."""
    obj = event["data"]["object"]
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = StripeEvent.objects.create(
                    event_id=str(event["id"]),
                    type=str(event.get("type") or ""),
                    object_id=str(obj.get("id") or "")[:80],
                    created=timestamp(event.get("created")) or timezone.now(),
                    payload=dict(event),
                )
        except IntegrityError:
            return WebhookResult(status="duplicate", outcome="already received", brand=current_schema())
        obj = _current_object(event, stored)
        token = _CURRENT_EVENT.set(event)
        try:
            outcome = _apply(stored.type, obj, stored.created)
        finally:
            _CURRENT_EVENT.reset(token)
        stored.processed_at = timezone.now()
        stored.outcome = outcome[:200]
        stored.save(update_fields=["processed_at", "outcome"])
    return WebhookResult(status="applied", outcome=outcome, brand=current_schema())


def _current_object(event: Mapping[str, Any], stored: StripeEvent) -> Mapping[str, Any]:
    """The object the handlers get: the event's snapshot, or the object read again when the
    snapshot is in another API version or may be older than what was applied (see above)."""
    from core.metrics import STRIPE_WEBHOOK_REREADS, STRIPE_WEBHOOK_VERSION_MISMATCHES

    obj = event["data"]["object"]
    if not _HANDLERS.get(stored.type):
        return obj  # nobody reads it: stored for the record, whatever its version
    version = str(event.get("api_version") or "")
    mismatch = version != pinned_api_version()
    stale = (
        bool(stored.object_id)
        and StripeEvent.objects.filter(object_id=stored.object_id, created__gte=stored.created)
        .exclude(pk=stored.pk)
        .exists()
    )
    if not (mismatch or stale):
        return obj
    fresh = object_reread(obj, str(event.get("account") or ""))
    if mismatch:
        action = "reread" if fresh is not None else "refused"
        STRIPE_WEBHOOK_VERSION_MISMATCHES.labels(stored.type, version or "none", action).inc()
        log = logger.warning if fresh is not None else logger.error
        log(
            "stripe event %s (%s) is rendered in API version %s, not the pinned %s: %s; pin the "
            "webhook endpoint to %s",
            stored.event_id,
            stored.type,
            version or "(none)",
            pinned_api_version(),
            "applied from the object read again" if fresh is not None else "refused",
            pinned_api_version(),
            extra={
                "stripe_event": stored.event_id,
                "stripe_event_type": stored.type,
                "stripe_api_version": version,
                "stripe_pinned_version": pinned_api_version(),
            },
        )
        if fresh is None:
            raise EventVersionRefusedError(
                f"event {stored.event_id} in API version {version or '(none)'}, "
                f"not {pinned_api_version()}, about a {obj.get('object')} that cannot be read again"
            )
    if fresh is None:
        return obj
    STRIPE_WEBHOOK_REREADS.labels(stored.type, "version" if mismatch else "stale").inc()
    return fresh


def _apply(event_type: str, obj: Mapping[str, Any], created: Any) -> str:
    try:
        return _dispatch(event_type, obj, created)
    except ValidationError as error:
        codes = (
            [str(item.code) for items in error.error_dict.values() for item in items]
            if hasattr(error, "error_dict")
            else [str(item.code) for item in error.error_list]
        )
        if PaymentErrorCode.PAYMENT_PROVIDER_ERROR in codes:
            raise RetryLaterError(str(error)) from error
        # A business rule refused it (a payment already settled another way…): retrying cannot help.
        logger.warning("stripe event %s on %s refused: %s", event_type, obj.get("id"), codes)
        return f"refused: {','.join(codes)}"


def _dispatch(event_type: str, obj: Mapping[str, Any], created: dt.datetime) -> str:
    """Hand the event's object to the handlers registered for its type, in registration order:
    the first that recognises it (returns an outcome, not None) applies it."""
    for handler in _HANDLERS.get(event_type, []):
        outcome = handler(obj, created)
        if outcome is not None:
            return outcome
    return _UNCLAIMED.get(event_type, "ignored")


def webhook_receive(payload: bytes, signature: str) -> WebhookResult:
    """Verify, route and apply one delivery (sync code, e.g. a Django view). Raises
    WebhookRejectedError (answer 400) or RetryLaterError (answer 503)."""
    event = event_verify(payload, signature)
    tenant = call_in_public(event_route, event)
    if tenant is None:
        logger.warning(
            "stripe webhook unrouted: event %s (%s) about %s belongs to no brand",
            event.get("id"),
            event.get("type"),
            event["data"]["object"].get("id"),
        )
        return WebhookResult(status="unrouted")
    return call_in_tenant(tenant, event_process, event)
