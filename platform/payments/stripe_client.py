"""The platform's one Stripe account, through the official SDK.

Every object the platform creates in Stripe carries ``metadata.brand`` (the brand's schema),
and customers, subscriptions and checkout sessions are recorded in the public
``tenants.StripeObjectRoute`` table, so that the single webhook endpoint on the root domain can
route an event to its brand [pretix ``ReferencedStripeObject``]. Every create sends an
idempotency key: a retried request (the SDK retries on network errors, a user double-clicks, a
transaction is replayed) never creates a second object.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from core.money import Money, quantize
from core.tenancy import current_schema
from payments.error_codes import PaymentErrorCode

logger = logging.getLogger(__name__)

JSON = dict[str, Any]


class StripeNotConfiguredError(RuntimeError):
    """STRIPE_API_KEY is empty: nothing can be sent to Stripe (a deployment mistake)."""


def stripe_is_configured() -> bool:
    return bool(settings.STRIPE_API_KEY)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, retries: int) -> stripe.StripeClient:
    base_addresses: Any = {"api": api_base} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=base_addresses, max_network_retries=retries)


def stripe_client() -> stripe.StripeClient:
    """A client for STRIPE_API_KEY on STRIPE_API_BASE (empty: Stripe's API); settings are read on
    every call, so tests can point them at the fake."""
    if not stripe_is_configured():
        raise StripeNotConfiguredError("STRIPE_API_KEY is not set")
    return _client(
        settings.STRIPE_API_KEY, settings.STRIPE_API_BASE.rstrip("/"), settings.STRIPE_MAX_NETWORK_RETRIES
    )


def brand_metadata(**extra: Any) -> dict[str, str]:
    """``metadata`` for a new Stripe object of the current brand (Stripe wants strings)."""
    return {"brand": current_schema(), **{key: str(value) for key, value in extra.items()}}


def idempotency_key(*parts: Any) -> str:
    """A key scoped to the current brand: two brands' objects never share one."""
    return ":".join([current_schema(), *(str(part) for part in parts)])


def request_options(*parts: Any) -> Any:
    return {"idempotency_key": idempotency_key(*parts)}


def stripe_route_record(stripe_id: str, object_type: str, *, schema_name: str | None = None) -> None:
    """Remember which brand a Stripe object belongs to (idempotent; first writer wins).

    ``StripeObjectRoute`` lives in the public schema, which stays on the search path inside a
    brand's schema, so this works from brand code too.
    """
    from tenants.models import StripeObjectRoute, Tenant

    if not stripe_id:
        return
    tenant = Tenant.objects.get(schema_name=schema_name or current_schema())
    if StripeObjectRoute.objects.filter(stripe_id=stripe_id).exists():
        return
    try:
        with transaction.atomic():
            StripeObjectRoute.objects.create(stripe_id=stripe_id, object_type=object_type, tenant=tenant)
    except IntegrityError:
        pass  # recorded concurrently


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe's integer amounts, converted in one place (rounded half-up to the currency)."""
    return Money(quantize(amount, currency), currency).minor_units()


def from_minor_units(units: int, currency: str) -> Decimal:
    return Money.from_minor_units(int(units), currency.upper()).amount


def plain(obj: Any) -> JSON:
    """A Stripe API answer (or webhook payload) as a plain, recursive dict."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def provider_error(error: stripe.StripeError) -> ValidationError:
    """What the user sees when Stripe refuses or cannot be reached (logged in full)."""
    logger.warning("stripe request failed: %s (code %s)", error, getattr(error, "code", None))
    message = getattr(error, "user_message", None) or "The payment provider refused the request; try again."
    return ValidationError(
        {NON_FIELD_ERRORS: ValidationError(str(message), code=PaymentErrorCode.PAYMENT_PROVIDER_ERROR)}
    )


def timestamp(value: Any) -> dt.datetime | None:
    if value in (None, "", 0):
        return None
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


def object_id(value: Any) -> str:
    """An id field that may be expanded into its object."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def invoice_subscription_id(invoice: Mapping[str, Any]) -> str:
    """The subscription a Stripe invoice bills (where current and older API versions put it)."""
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    value = parent.get("subscription") or invoice.get("subscription")
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")
