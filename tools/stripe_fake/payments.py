"""Payment intents, charges and refunds: what stands behind a paid invoice or checkout session.

An automatic charge uses the payment method it is given (the subscription's or the customer's
default, :func:`stripe_fake.payment_methods.default_for`) with that test card's behaviour; without
one it fails without a charge (the intent ``requires_payment_method``). A test may also make a
customer's next payment(s) fail whatever the card (``/_fake/customers/<id>/fail_next_payment``).
"""

from __future__ import annotations

import secrets

from stripe_fake.catalog import LIST_PARAMS, filtered, paginate
from stripe_fake.errors import StripeError
from stripe_fake.params import as_int, as_str, check_allowed, metadata_merge
from stripe_fake.state import JSON, State, new_id

DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "generic_decline": "Your card was declined.",
}


def _card_details(method: JSON | None) -> JSON:
    card = (method or {}).get("card") or {}
    return {
        "card": {
            "brand": card.get("brand", "visa"),
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "exp_month": card.get("exp_month", 12),
            "exp_year": card.get("exp_year", 2034),
            "fingerprint": card.get("fingerprint", "fakefingerprint0"),
            "funding": "credit",
            "last4": card.get("last4", "4242"),
            "network": card.get("brand", "visa"),
        },
        "type": "card",
    }


def payment_intent_create(
    state: State,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    description: str | None,
    at: int,
    metadata: dict[str, str] | None = None,
    status: str = "requires_confirmation",
) -> JSON:
    intent = state.base(
        "payment_intent",
        customer=customer,
        amount=amount,
        amount_capturable=0,
        amount_details={"tip": {}},
        amount_received=0,
        application=None,
        application_fee_amount=None,
        automatic_payment_methods=None,
        canceled_at=None,
        cancellation_reason=None,
        capture_method="automatic",
        confirmation_method="automatic",
        currency=currency,
        description=description,
        last_payment_error=None,
        latest_charge=None,
        metadata=dict(metadata or {}),
        next_action=None,
        on_behalf_of=None,
        payment_method="pm_card_visa" if status != "requires_payment_method" else None,
        payment_method_types=["card"],
        receipt_email=None,
        setup_future_usage=None,
        shipping=None,
        statement_descriptor=None,
        statement_descriptor_suffix=None,
        status=status,
        transfer_data=None,
        transfer_group=None,
    )
    intent["created"] = at
    intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(12)}"
    state.add(intent)
    state.emit("payment_intent.created", intent, at=at)
    return intent


def payment_take(
    state: State,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    description: str | None,
    at: int,
    metadata: dict[str, str] | None = None,
    force_success: bool = False,
    payment_intent: JSON | None = None,
    payment_method: JSON | None = None,
) -> tuple[JSON, bool]:
    """Charge ``amount`` (minor units) to ``payment_method``; returns the payment intent and
    whether it succeeded. ``payment_intent``: retry an earlier failed one (as Stripe retries an
    invoice's intent). ``force_success``: a buyer paying on a hosted page with a good card."""
    decline_code = None
    customer_obj = state.find(customer) if customer else None
    if customer_obj is not None and customer_obj["_fail_payments"] > 0 and not force_success:
        customer_obj["_fail_payments"] -= 1
        decline_code = customer_obj["_decline_code"]
    elif payment_method is not None and payment_method.get("_decline") and not force_success:
        decline_code = payment_method["_decline"]
    elif payment_method is None and not force_success:
        return _no_payment_method(
            state, payment_intent, amount, currency, customer, description, at, metadata
        )
    method_id = payment_method["id"] if payment_method is not None else "pm_card_visa"
    intent = payment_intent or payment_intent_create(
        state,
        amount=amount,
        currency=currency,
        customer=customer,
        description=description,
        at=at,
        metadata=metadata,
    )
    charge = state.base(
        "charge",
        customer=customer,
        amount=amount,
        amount_captured=amount if decline_code is None else 0,
        amount_refunded=0,
        application=None,
        application_fee=None,
        application_fee_amount=None,
        balance_transaction=new_id("balance_transaction") if decline_code is None else None,
        billing_details={"address": None, "email": None, "name": None, "phone": None},
        calculated_statement_descriptor="FAKE STRIPE",
        captured=decline_code is None,
        currency=currency,
        description=description,
        disputed=False,
        failure_balance_transaction=None,
        failure_code=decline_code,
        failure_message=DECLINE_MESSAGES.get(decline_code or "", "Your card was declined.")
        if decline_code
        else None,
        fraud_details={},
        metadata=dict(metadata or {}),
        on_behalf_of=None,
        outcome={
            "network_status": "approved_by_network" if decline_code is None else "declined_by_network",
            "reason": decline_code,
            "risk_level": "normal",
            "seller_message": "Payment complete."
            if decline_code is None
            else "The bank declined the payment.",
            "type": "authorized" if decline_code is None else "issuer_declined",
        },
        paid=decline_code is None,
        payment_intent=intent["id"],
        payment_method=method_id,
        payment_method_details=_card_details(payment_method),
        receipt_email=None,
        receipt_number=None,
        receipt_url=None,
        refunded=False,
        review=None,
        shipping=None,
        source_transfer=None,
        statement_descriptor=None,
        statement_descriptor_suffix=None,
        status="succeeded" if decline_code is None else "failed",
        transfer_data=None,
        transfer_group=None,
    )
    charge["created"] = at
    charge["receipt_url"] = f"{state.base_url}/receipts/{charge['id']}"
    state.add(charge)
    intent["latest_charge"] = charge["id"]
    intent["payment_method"] = method_id
    if decline_code is None:
        intent.update(status="succeeded", amount_received=amount, last_payment_error=None)
        state.emit("charge.succeeded", charge, at=at)
        state.emit("payment_intent.succeeded", intent, at=at)
        return intent, True
    intent.update(
        status="requires_payment_method",
        last_payment_error={
            "charge": charge["id"],
            "code": "expired_card" if decline_code == "expired_card" else "card_declined",
            "decline_code": decline_code,
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": charge["failure_message"],
            "payment_method": {"id": method_id, "object": "payment_method", "type": "card"},
            "type": "card_error",
        },
    )
    state.emit("charge.failed", charge, at=at)
    state.emit("payment_intent.payment_failed", intent, at=at)
    return intent, False


def _no_payment_method(
    state: State,
    intent: JSON | None,
    amount: int,
    currency: str,
    customer: str | None,
    description: str | None,
    at: int,
    metadata: dict[str, str] | None,
) -> tuple[JSON, bool]:
    """An automatic charge with nothing to charge: no charge, the intent waits for a method."""
    intent = intent or payment_intent_create(
        state,
        amount=amount,
        currency=currency,
        customer=customer,
        description=description,
        at=at,
        metadata=metadata,
        status="requires_payment_method",
    )
    intent.update(status="requires_payment_method", payment_method=None, last_payment_error=None)
    return intent, False


def card_error(intent: JSON) -> StripeError:
    error = intent["last_payment_error"]
    if error is None:
        from stripe_fake.payment_methods import NO_PAYMENT_METHOD

        return StripeError(NO_PAYMENT_METHOD)
    return StripeError(
        error.get("message") or "Your card was declined.",
        status=402,
        type="card_error",
        code=error.get("code") or "card_declined",
        extra={
            "decline_code": error.get("decline_code"),
            "charge": error.get("charge"),
            "payment_intent": {"id": intent["id"], "object": "payment_intent", "status": intent["status"]},
        },
    )


REFUND_PARAMS = {
    "amount",
    "charge",
    "payment_intent",
    "reason",
    "metadata",
    "instructions_email",
    "origin",
    "refund_application_fee",
    "reverse_transfer",
    "currency",
    "customer",
}


def refund_create(state: State, params: JSON) -> JSON:
    """A refund of a charge (named directly or as a payment intent's latest charge); emits
    ``refund.created`` and ``charge.refunded``."""
    check_allowed(params, REFUND_PARAMS)
    intent_id = as_str(params, "payment_intent")
    charge_id = as_str(params, "charge")
    if intent_id:
        intent = state.get("payment_intent", intent_id, "payment_intent")
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise StripeError(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge = state.get("charge", intent["latest_charge"])
    elif charge_id:
        charge = state.get("charge", charge_id, "charge")
    else:
        raise StripeError(
            "One of the following params should be provided for this request: payment_intent or charge.",
            code="parameter_missing",
            param="payment_intent",
        )
    unrefunded = charge["amount"] - charge["amount_refunded"]
    amount = as_int(params, "amount", minimum=1)
    if amount is None:
        amount = unrefunded
    if unrefunded <= 0:
        raise StripeError(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    if amount > unrefunded:
        raise StripeError(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({unrefunded})",
            param="amount",
        )
    reason = as_str(params, "reason")
    if reason not in (None, "duplicate", "fraudulent", "requested_by_customer"):
        raise StripeError("Invalid reason", param="reason")
    at = state.now(charge["customer"])
    refund = state.base(
        "refund",
        customer=charge["customer"],
        amount=amount,
        balance_transaction=new_id("balance_transaction"),
        charge=charge["id"],
        currency=charge["currency"],
        description=None,
        destination_details={
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        metadata=metadata_merge({}, params.get("metadata")),
        payment_intent=charge["payment_intent"],
        reason=reason,
        receipt_number=None,
        source_transfer_reversal=None,
        status="succeeded",
        transfer_reversal=None,
    )
    refund["created"] = at
    state.add(refund)
    before = state.snapshot(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    state.emit("refund.created", refund, at=at)
    state.changed("charge.refunded", charge, before, at=at)
    return refund


def refund_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"charge", "payment_intent"})
    charge = as_str(params, "charge")
    intent = as_str(params, "payment_intent")
    objects = filtered(
        state,
        "refund",
        lambda r: charge is None or r["charge"] == charge,
        lambda r: intent is None or r["payment_intent"] == intent,
    )
    return paginate(state, objects, params, "/v1/refunds", expand)


def payment_intent_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"customer"})
    customer = as_str(params, "customer")
    objects = filtered(state, "payment_intent", lambda p: customer is None or p["customer"] == customer)
    return paginate(state, objects, params, "/v1/payment_intents", expand)


def charge_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"customer", "payment_intent"})
    customer = as_str(params, "customer")
    intent = as_str(params, "payment_intent")
    objects = filtered(
        state,
        "charge",
        lambda c: customer is None or c["customer"] == customer,
        lambda c: intent is None or c["payment_intent"] == intent,
    )
    return paginate(state, objects, params, "/v1/charges", expand)
