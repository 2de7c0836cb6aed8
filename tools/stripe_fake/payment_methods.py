"""Payment methods: created from Stripe's test card numbers (or their ``pm_card_*`` tokens),
attached to customers, and charged with the behaviour Stripe gives each test card.

=======================  ==============================================  ==============================
number                   token                                           behaviour
=======================  ==============================================  ==============================
4242424242424242         ``pm_card_visa``                                succeeds
4000000000000341         ``pm_card_chargeCustomerFail``                  attaches; every charge declined
4000000000009995         ``pm_card_visa_chargeDeclinedInsufficientFunds`` declined ``insufficient_funds``
4000000000000002         ``pm_card_chargeDeclined``                      declined ``generic_decline``
4000000000000069         ``pm_card_chargeDeclinedExpiredCard``           declined ``expired_card``
=======================  ==============================================  ==============================

Cards declined outright are refused when attached too (Stripe checks a card when it is saved), with
a ``card_error`` (HTTP 402). Delayed methods (``sepa_debit``, ...) are modelled by Checkout
(:mod:`stripe_fake.checkout`).
"""

from __future__ import annotations

from typing import Any

from stripe_fake.catalog import LIST_PARAMS, filtered, paginate
from stripe_fake.errors import StripeError
from stripe_fake.params import as_dict, as_int, as_str, check_allowed, metadata_merge, required
from stripe_fake.state import JSON, State

# number -> (brand, decline code at charge time or None, refused when attached)
CARDS: dict[str, tuple[str, str | None, bool]] = {
    "4242424242424242": ("visa", None, False),
    "5555555555554444": ("mastercard", None, False),
    "4000000000000341": ("visa", "card_declined", False),
    "4000000000009995": ("visa", "insufficient_funds", True),
    "4000000000000002": ("visa", "generic_decline", True),
    "4000000000000069": ("visa", "expired_card", True),
}
TOKENS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
}
DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
}
ERROR_CODES = {"expired_card": "expired_card"}  # the others answer code=card_declined
NO_PAYMENT_METHOD = (
    "This customer has no attached payment source or default payment method. Please consider adding a "
    "default payment method. For more information, visit https://docs.stripe.com/billing/subscriptions/"
    "payment-methods-setting#payment-method-priority."
)


def decline_error(decline_code: str, *, extra: JSON | None = None) -> StripeError:
    return StripeError(
        DECLINE_MESSAGES.get(decline_code, "Your card was declined."),
        status=402,
        type="card_error",
        code=ERROR_CODES.get(decline_code, "card_declined"),
        extra={"decline_code": decline_code, **(extra or {})},
    )


def payment_method_create(state: State, params: JSON) -> JSON:
    """``POST /v1/payment_methods`` with ``type=card`` and ``card[number]`` (test numbers only)."""
    check_allowed(
        params,
        {"type", "card", "billing_details", "metadata", "allow_redisplay", "customer", "payment_method"},
    )
    kind = required(params, "type")
    if kind != "card":
        raise StripeError(f"The fake creates card payment methods only, not {kind!r}.", param="type")
    card = as_dict(params, "card")
    check_allowed(card, {"number", "exp_month", "exp_year", "cvc", "token"}, "card")
    number = str(card.get("number") or "").replace(" ", "")
    if number not in CARDS:
        raise StripeError(
            "Your card number is incorrect." if number else "Missing required param: card[number].",
            status=402 if number else 400,
            type="card_error" if number else "invalid_request_error",
            code="incorrect_number" if number else "parameter_missing",
            param="card[number]" if not number else None,
        )
    exp_year = as_int(card, "exp_year", "card[exp_year]") or 2034
    exp_month = as_int(card, "exp_month", "card[exp_month]") or 12
    return _new(state, number, exp_month, exp_year, params)


def _new(state: State, number: str, exp_month: int, exp_year: int, params: JSON | None = None) -> JSON:
    brand, decline, _ = CARDS[number]
    billing = as_dict(params or {}, "billing_details")
    method = state.base(
        "payment_method",
        allow_redisplay="unspecified",
        billing_details={
            "address": billing.get("address"),
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": billing.get("phone"),
            "tax_id": None,
        },
        card={
            "brand": brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "display_brand": brand,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": "fake" + number[-8:],
            "funding": "credit",
            "generated_from": None,
            "last4": number[-4:],
            "networks": {"available": [brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        customer=None,
        metadata=metadata_merge({}, (params or {}).get("metadata")),
        type="card",
        _decline=decline,
        _refused_on_attach=CARDS[number][2],
    )
    return state.add(method)


def resolve(state: State, value: Any, param: str) -> JSON:
    """A payment method named by id, or by one of Stripe's ``pm_card_*`` test tokens (a new
    payment method is made from the token each time, as Stripe does)."""
    if isinstance(value, str) and value in TOKENS:
        return _new(state, TOKENS[value], 12, 2034)
    return state.get("payment_method", value, param)


def attach(state: State, method: JSON, customer: JSON) -> JSON:
    if method["customer"] not in (None, customer["id"]):
        raise StripeError(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state",
        )
    if method["_refused_on_attach"]:
        raise decline_error(str(method["_decline"]))
    if method["customer"] is None:
        method["customer"] = customer["id"]
        state.emit("payment_method.attached", method)
    return method


def payment_method_attach(state: State, method: JSON, params: JSON) -> JSON:
    check_allowed(params, {"customer", "customer_account"})
    customer = state.get("customer", required(params, "customer"), "customer")
    return attach(state, method, customer)


def payment_method_detach(state: State, method: JSON, params: JSON) -> JSON:
    check_allowed(params, set())
    if method["customer"] is None:
        raise StripeError(
            f"The payment method {method['id']} is not attached to a customer.",
            code="payment_method_unexpected_state",
        )
    customer = state.find(method["customer"])
    if customer is not None and customer["invoice_settings"]["default_payment_method"] == method["id"]:
        customer["invoice_settings"]["default_payment_method"] = None
    method["customer"] = None
    state.emit("payment_method.detached", method, {"customer": customer["id"] if customer else None})
    return method


def payment_method_list(state: State, params: JSON, expand: list[str], customer: str | None = None) -> JSON:
    check_allowed(params, LIST_PARAMS | {"customer", "type"} - ({"customer"} if customer else set()))
    customer = customer or as_str(params, "customer")
    kind = as_str(params, "type")
    objects = filtered(
        state,
        "payment_method",
        lambda m: customer is None or m["customer"] == customer,
        lambda m: kind is None or m["type"] == kind,
    )
    url = f"/v1/customers/{customer}/payment_methods" if customer else "/v1/payment_methods"
    return paginate(state, objects, params, url, expand)


def default_for(state: State, customer_id: str | None, subscription: JSON | None = None) -> JSON | None:
    """The payment method an automatic charge uses: the subscription's default, else the
    customer's ``invoice_settings.default_payment_method`` (Stripe's priority)."""
    for method_id in (
        (subscription or {}).get("default_payment_method"),
        ((state.find(customer_id) or {}).get("invoice_settings") or {}).get("default_payment_method")
        if customer_id
        else None,
    ):
        if method_id:
            method = state.find(method_id)
            if method is not None and method.get("object") == "payment_method":
                return method
    return None


def check_default(state: State, customer: JSON, method_id: str | None, param: str) -> None:
    if not method_id:
        return
    method = state.find(method_id)
    if method is None or method.get("object") != "payment_method" or method["customer"] != customer["id"]:
        raise StripeError(
            f"The customer does not have a payment method with the ID {method_id}. The payment method must "
            "be attached to the customer.",
            param=param,
            code="resource_missing",
        )
