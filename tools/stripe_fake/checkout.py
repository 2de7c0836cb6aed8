"""Checkout sessions and customer portal sessions.

``ui_mode`` takes endive's values (``hosted_page`` by default, ``embedded_page``, ``elements``,
``form``); ``expires_at`` must fall 30 minutes to 24 hours after creation. Delayed payment methods
(``payment_method_types`` of ``sepa_debit``, ``us_bank_account``, ``bacs_debit``, ``au_becs_debit``,
``acss_debit``, ``boleto``, ``sofort``...): completing the session with one leaves it ``complete`` but
``payment_status: "unpaid"`` (the payment intent ``processing``); the payment settles
``async_payment_delay`` later on the clock, or at once through
``POST /_fake/checkout/sessions/<id>/settle`` {outcome}, and Checkout sends
``checkout.session.async_payment_succeeded`` or ``_failed``. Portal sessions need a default
portal configuration (``POST /v1/billing_portal/configurations``), as in Stripe.

A session's ``url`` is a page of the fake (``/checkout/<id>``) whose button "pays": the session is
completed as Stripe would complete it (customer, subscription and first invoice, or a payment
intent), ``checkout.session.completed`` is sent, and the browser goes to ``success_url`` with
``{CHECKOUT_SESSION_ID}`` replaced. Tests complete sessions without a browser through
``POST /_fake/checkout/sessions/<id>/complete``.
"""

from __future__ import annotations

from stripe_fake import payment_methods
from stripe_fake.billing import subscription_create
from stripe_fake.catalog import LIST_PARAMS, customer_create, filtered, paginate, price_resolve, product_name
from stripe_fake.errors import StripeError
from stripe_fake.params import (
    as_dict,
    as_int,
    as_list,
    as_str,
    check_allowed,
    metadata_merge,
    refuse_unmodelled,
    required,
)
from stripe_fake.payments import payment_intent_create, payment_take
from stripe_fake.state import JSON, State, new_id

SESSION_LIFETIME = 24 * 3600
SESSION_MIN_LIFETIME = 30 * 60
UI_MODES = ("hosted_page", "embedded_page", "elements", "form")
DELAYED_METHODS = frozenset(
    {
        "acss_debit",
        "au_becs_debit",
        "bacs_debit",
        "boleto",
        "customer_balance",
        "konbini",
        "oxxo",
        "sepa_debit",
        "sofort",
        "us_bank_account",
    }
)

CHECKOUT_PARAMS = {
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "cancel_url",
    "client_reference_id",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_creation",
    "customer_email",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "expires_at",
    "invoice_creation",
    "line_items",
    "locale",
    "metadata",
    "mode",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_intent_data",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "payment_method_types",
    "permissions",
    "phone_number_collection",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "submit_type",
    "subscription_data",
    "success_url",
    "tax_id_collection",
    "ui_mode",
    "wallet_options",
}
SUBSCRIPTION_DATA_PARAMS = {
    "application_fee_percent",
    "billing_cycle_anchor",
    "billing_mode",
    "default_tax_rates",
    "description",
    "invoice_settings",
    "metadata",
    "on_behalf_of",
    "proration_behavior",
    "transfer_data",
    "trial_end",
    "trial_period_days",
    "trial_settings",
}


def checkout_session_create(state: State, params: JSON) -> JSON:
    check_allowed(params, CHECKOUT_PARAMS)
    refuse_unmodelled(
        params, ("automatic_tax", "discounts", "shipping_options", "optional_items", "invoice_creation")
    )
    mode = required(params, "mode")
    if mode not in ("payment", "subscription"):
        raise StripeError(
            f"The fake supports mode=payment and mode=subscription, not {mode!r}.", param="mode"
        )
    customer_id = as_str(params, "customer")
    customer_email = as_str(params, "customer_email")
    if customer_id and customer_email:
        raise StripeError(
            "You may only specify one of these parameters: customer, customer_email.", param="customer_email"
        )
    if customer_id:
        state.get("customer", customer_id, "customer")
    specs = as_list(params, "line_items")
    if not specs:
        raise StripeError("Missing required param: line_items.", code="parameter_missing", param="line_items")
    items: list[JSON] = []
    for index, spec in enumerate(specs):
        prefix = f"line_items[{index}]"
        if not isinstance(spec, dict):
            raise StripeError("Invalid array", param="line_items")
        check_allowed(
            spec,
            {
                "price",
                "price_data",
                "quantity",
                "adjustable_quantity",
                "dynamic_tax_rates",
                "tax_rates",
                "metadata",
            },
            prefix,
        )
        refuse_unmodelled(spec, ("dynamic_tax_rates", "tax_rates"), prefix)
        price = price_resolve(state, spec, prefix)
        quantity = as_int(spec, "quantity", f"{prefix}[quantity]", minimum=1)
        if quantity is None:
            raise StripeError(
                f"Missing required param: {prefix}[quantity].",
                code="parameter_missing",
                param=f"{prefix}[quantity]",
            )
        if mode == "payment" and price["type"] == "recurring":
            raise StripeError(
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` "
                "mode or use only one-time prices.",
                param=f"{prefix}[price]",
            )
        if mode == "subscription" and price["type"] != "recurring":
            raise StripeError(
                "The fake supports only recurring prices in `subscription` mode.", param=f"{prefix}[price]"
            )
        amount = price["unit_amount"] * quantity
        items.append(
            {
                "id": new_id("item"),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": product_name(state, price),
                "price": {k: v for k, v in price.items() if not k.startswith("_")},
                "quantity": quantity,
            }
        )
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise StripeError("All line items must use the same currency.", param="line_items")
    subscription_data = as_dict(params, "subscription_data")
    check_allowed(subscription_data, SUBSCRIPTION_DATA_PARAMS, "subscription_data")
    if subscription_data and mode != "subscription":
        raise StripeError(
            "You can only specify `subscription_data` in `subscription` mode.", param="subscription_data"
        )
    payment_intent_data = as_dict(params, "payment_intent_data")
    trial = bool(as_int(subscription_data, "trial_period_days") or as_int(subscription_data, "trial_end"))
    subtotal = sum(item["amount_subtotal"] for item in items)
    now = state.now(customer_id)
    ui_mode = as_str(params, "ui_mode") or "hosted_page"
    if ui_mode not in UI_MODES:
        raise StripeError(
            f"Invalid ui_mode: must be one of {', '.join(UI_MODES)}",
            param="ui_mode",
            code="parameter_invalid",
        )
    expires_at = as_int(params, "expires_at")
    if expires_at is not None and expires_at > now + SESSION_LIFETIME:
        raise StripeError(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    if expires_at is not None and expires_at < now + SESSION_MIN_LIFETIME:
        raise StripeError(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            param="expires_at",
        )
    method_types = [str(t) for t in as_list(params, "payment_method_types")] or ["card"]
    session = state.base(
        "checkout.session",
        customer=customer_id,
        adaptive_pricing=None,
        after_expiration=None,
        allow_promotion_codes=None,
        amount_subtotal=subtotal,
        amount_total=0 if trial else subtotal,
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        billing_address_collection=as_str(params, "billing_address_collection"),
        cancel_url=as_str(params, "cancel_url"),
        client_reference_id=as_str(params, "client_reference_id"),
        client_secret=None,
        collected_information=None,
        consent=None,
        consent_collection=None,
        currency=currencies.pop(),
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer_creation=(as_str(params, "customer_creation") or "if_required")
        if mode == "payment"
        else None,
        customer_details={
            "address": None,
            "email": customer_email,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": None,
        }
        if customer_email
        else None,
        customer_email=customer_email,
        discounts=[],
        expires_at=expires_at or now + SESSION_LIFETIME,
        invoice=None,
        invoice_creation=None,
        locale=as_str(params, "locale"),
        metadata=metadata_merge({}, params.get("metadata")),
        mode=mode,
        payment_intent=None,
        payment_link=None,
        payment_method_collection="always" if mode == "subscription" else None,
        payment_method_types=method_types,
        payment_status="unpaid",
        phone_number_collection={"enabled": False},
        recovered_from=None,
        setup_intent=None,
        shipping_address_collection=None,
        shipping_cost=None,
        shipping_options=[],
        status="open",
        submit_type=as_str(params, "submit_type"),
        subscription=None,
        success_url=as_str(params, "success_url"),
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        ui_mode=ui_mode,
        url=None,
        _subscription_data=subscription_data,
        _payment_intent_data=payment_intent_data,
    )
    if ui_mode == "hosted_page":
        session["url"] = f"{state.base_url}/checkout/{session['id']}"
    else:
        session["client_secret"] = f"{session['id']}_secret_{new_id('request')[4:]}"
        session["return_url"] = as_str(params, "return_url")
    session["_includable"] = {
        "line_items": {"data": items, "url": f"/v1/checkout/sessions/{session['id']}/line_items"}
    }
    return state.add(session)


def checkout_session_complete(
    state: State,
    session: JSON,
    *,
    email: str | None = None,
    name: str | None = None,
    payment_method: str | None = None,
    payment_method_type: str | None = None,
    async_outcome: str | None = None,
) -> JSON:
    """The buyer paid: what Stripe does when a Checkout page is submitted. ``payment_method``: a
    test card token (default ``pm_card_visa``; a declining card answers its card error and the
    session stays open). ``payment_method_type``: one of the session's types (default: the first);
    a delayed one leaves the payment ``processing`` until it settles (``async_outcome``:
    ``succeeded`` or ``failed``, default the ``async_payment_outcome`` setting)."""
    if session["status"] != "open":
        raise StripeError(f"This Checkout Session is {session['status']}, it can no longer be completed.")
    method_type = payment_method_type or session["payment_method_types"][0]
    if method_type not in session["payment_method_types"]:
        raise StripeError(
            f"payment_method_type must be one of the session's: {', '.join(session['payment_method_types'])}",
            param="payment_method_type",
        )
    delayed = method_type in DELAYED_METHODS
    card = None
    if not delayed:
        card = payment_methods.resolve(state, payment_method or "pm_card_visa", "payment_method")
        if card["_decline"]:
            raise payment_methods.decline_error(card["_decline"])
    customer_id = session["customer"]
    email = (
        email
        or session["customer_email"]
        or (state.find(customer_id) or {}).get("email")
        or f"buyer+{session['id'][-8:].lower()}@example.com"
    )
    if customer_id is None and (
        session["mode"] == "subscription" or session["customer_creation"] == "always"
    ):
        customer_id = customer_create(state, {"email": email, "name": name or ""})["id"]
        session["customer"] = customer_id
    at = state.now(customer_id)
    if card is not None and customer_id:
        payment_methods.attach(state, card, state.objects[customer_id])
    session["customer_details"] = {
        "address": None,
        "email": email,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    items = session["_includable"]["line_items"]["data"]
    if session["mode"] == "subscription":
        data = session["_subscription_data"]
        params: JSON = {
            "customer": customer_id,
            "items": [{"price": item["price"]["id"], "quantity": str(item["quantity"])} for item in items],
            "metadata": data.get("metadata") or {},
        }
        for key in ("trial_period_days", "trial_end", "description", "billing_mode"):
            if data.get(key):
                params[key] = data[key]
        if card is not None:
            # Checkout saves the card it collected as the subscription's default.
            params["default_payment_method"] = card["id"]
        subscription = subscription_create(state, params, force_payment=True)
        invoice = state.objects[subscription["latest_invoice"]]
        session.update(
            subscription=subscription["id"],
            invoice=invoice["id"],
            payment_status="paid" if invoice["amount_paid"] > 0 else "no_payment_required",
        )
    else:
        data = session["_payment_intent_data"]
        if delayed:
            intent = payment_intent_create(
                state,
                amount=session["amount_total"],
                currency=session["currency"],
                customer=customer_id,
                description=data.get("description") or None,
                metadata=metadata_merge({}, data.get("metadata")),
                at=at,
                status="processing",
            )
            intent.update(payment_method=new_id("payment_method"), payment_method_types=[method_type])
            outcome = async_outcome or state.settings["async_payment_outcome"]
            if outcome not in ("succeeded", "failed"):
                raise StripeError("async_outcome must be succeeded or failed", param="async_outcome")
            session.update(
                payment_intent=intent["id"],
                payment_status="unpaid",
                _settles_at=at + int(state.settings["async_payment_delay"]),
                _async_outcome=outcome,
            )
        else:
            intent, _ = payment_take(
                state,
                amount=session["amount_total"],
                currency=session["currency"],
                customer=customer_id,
                description=data.get("description") or None,
                metadata=metadata_merge({}, data.get("metadata")),
                at=at,
                force_success=True,
                payment_method=card,
            )
            session.update(payment_intent=intent["id"], payment_status="paid")
    session.update(status="complete", url=None)
    state.emit("checkout.session.completed", session, at=at)
    return session


def checkout_session_settle(state: State, session: JSON, outcome: str | None, at: int | None = None) -> JSON:
    """A delayed payment (SEPA debit...) of a completed session settles: the payment intent
    succeeds (charge, ``checkout.session.async_payment_succeeded``) or fails
    (``checkout.session.async_payment_failed``)."""
    if "_settles_at" not in session:
        raise StripeError("This Checkout Session has no payment awaiting settlement.")
    outcome = outcome or session["_async_outcome"]
    if outcome not in ("succeeded", "failed"):
        raise StripeError("outcome must be succeeded or failed", param="outcome")
    at = at if at is not None else state.now(session["customer"])
    del session["_settles_at"]
    intent = state.objects[session["payment_intent"]]
    if outcome == "succeeded":
        payment_take(
            state,
            amount=intent["amount"],
            currency=intent["currency"],
            customer=intent["customer"],
            description=intent["description"],
            at=at,
            force_success=True,
            payment_intent=intent,
        )
        session["payment_status"] = "paid"
        state.emit("checkout.session.async_payment_succeeded", session, at=at)
    else:
        intent.update(
            status="requires_payment_method",
            last_payment_error={
                "code": "payment_intent_payment_attempt_failed",
                "decline_code": None,
                "doc_url": "https://stripe.com/docs/error-codes/payment-intent-payment-attempt-failed",
                "message": "The payment failed.",
                "payment_method": {"id": intent["payment_method"], "object": "payment_method"},
                "type": "invalid_request_error",
            },
        )
        state.emit("payment_intent.payment_failed", intent, at=at)
        state.emit("checkout.session.async_payment_failed", session, at=at)
    return session


def settle_due_sessions(state: State, customer: str | None = None) -> int:
    """Delayed payments whose settlement time has come (in their customer's time)."""
    due = [
        s
        for s in state.all("checkout.session")
        if "_settles_at" in s
        and (customer is None or s["customer"] == customer)
        and s["_settles_at"] <= state.now(s["customer"])
    ]
    for session in sorted(due, key=lambda s: s["_settles_at"]):
        checkout_session_settle(state, session, None, session["_settles_at"])
    return len(due)


def checkout_session_expire(state: State, session: JSON) -> JSON:
    if session["status"] != "open":
        raise StripeError(
            f"Only Checkout Sessions with a status of `open` can be expired. This session has a status of "
            f"`{session['status']}`."
        )
    session.update(status="expired", url=None)
    state.emit("checkout.session.expired", session)
    return session


def checkout_session_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"customer", "payment_intent", "subscription", "status"})
    filters = {key: as_str(params, key) for key in ("customer", "payment_intent", "subscription", "status")}
    objects = filtered(
        state,
        "checkout.session",
        *[(lambda s, k=key, v=value: v is None or s[k] == v) for key, value in filters.items()],
    )
    return paginate(state, objects, params, "/v1/checkout/sessions", expand)


PORTAL_PARAMS = {
    "configuration",
    "customer",
    "customer_account",
    "flow_data",
    "locale",
    "on_behalf_of",
    "return_url",
}


def portal_session_create(state: State, params: JSON) -> JSON:
    check_allowed(params, PORTAL_PARAMS)
    customer = state.get("customer", required(params, "customer"), "customer")
    configuration_id = as_str(params, "configuration")
    configuration: JSON | None
    if configuration_id:
        configuration = state.get("billing_portal.configuration", configuration_id, "configuration")
    else:
        configuration = next((c for c in state.all("billing_portal.configuration") if c["is_default"]), None)
        if configuration is None:
            raise StripeError(
                "No configuration provided and your test mode default configuration has not been created. "
                "Provide a configuration or create your default by saving your customer portal settings in "
                "test mode at https://dashboard.stripe.com/test/settings/billing/portal."
            )
    session = state.base(
        "billing_portal.session",
        customer=customer["id"],
        configuration=configuration["id"],
        flow=None,
        locale=as_str(params, "locale"),
        on_behalf_of=None,
        return_url=as_str(params, "return_url"),
        url=None,
    )
    session["url"] = f"{state.base_url}/portal/{session['id']}"
    return state.add(session)


PORTAL_CONFIGURATION_PARAMS = {
    "business_profile",
    "default_return_url",
    "features",
    "login_page",
    "metadata",
    "name",
}


def portal_configuration_create(state: State, params: JSON) -> JSON:
    """``POST /v1/billing_portal/configurations``. The account's first configuration becomes its
    default (``is_default``), as saving the portal settings in the Dashboard does."""
    check_allowed(params, PORTAL_CONFIGURATION_PARAMS)
    features = as_dict(params, "features")
    if not features:
        raise StripeError("Missing required param: features.", code="parameter_missing", param="features")
    is_default = not any(c["is_default"] for c in state.all("billing_portal.configuration"))
    configuration = state.base(
        "billing_portal.configuration",
        active=True,
        application=None,
        business_profile={
            "headline": None,
            "privacy_policy_url": None,
            "terms_of_service_url": None,
            **as_dict(params, "business_profile"),
        },
        default_return_url=as_str(params, "default_return_url"),
        features=features,
        is_default=is_default,
        login_page={"enabled": False, "url": None},
        metadata=metadata_merge({}, params.get("metadata")),
        name=as_str(params, "name"),
        updated=state.now(),
    )
    state.add(configuration)
    state.emit("billing_portal.configuration.created", configuration)
    return configuration


def portal_configuration_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS - {"created"} | {"active", "is_default"})
    is_default = params.get("is_default")
    objects = filtered(
        state,
        "billing_portal.configuration",
        lambda c: is_default in (None, "") or str(c["is_default"]).lower() == str(is_default).lower(),
    )
    return paginate(state, objects, params, "/v1/billing_portal/configurations", expand)
