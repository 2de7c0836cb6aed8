"""Checkout sessions and customer portal sessions.

A session's ``url`` is a page of the fake (``/checkout/<id>``) whose button "pays": the session is
completed as Stripe would complete it (customer, subscription and first invoice, or a payment
intent), ``checkout.session.completed`` is sent, and the browser goes to ``success_url`` with
``{CHECKOUT_SESSION_ID}`` replaced. Tests complete sessions without a browser through
``POST /_fake/checkout/sessions/<id>/complete``.
"""

from __future__ import annotations

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
from stripe_fake.payments import payment_take
from stripe_fake.state import JSON, State, new_id

SESSION_LIFETIME = 24 * 3600

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
        expires_at=as_int(params, "expires_at") or now + SESSION_LIFETIME,
        invoice=None,
        invoice_creation=None,
        locale=as_str(params, "locale"),
        metadata=metadata_merge({}, params.get("metadata")),
        mode=mode,
        payment_intent=None,
        payment_link=None,
        payment_method_collection="always" if mode == "subscription" else None,
        payment_method_types=as_list(params, "payment_method_types") or ["card"],
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
        ui_mode=as_str(params, "ui_mode") or "hosted",
        url=None,
        _subscription_data=subscription_data,
        _payment_intent_data=payment_intent_data,
    )
    session["url"] = f"{state.base_url}/checkout/{session['id']}"
    session["_includable"] = {
        "line_items": {"data": items, "url": f"/v1/checkout/sessions/{session['id']}/line_items"}
    }
    return state.add(session)


def checkout_session_complete(
    state: State, session: JSON, *, email: str | None = None, name: str | None = None
) -> JSON:
    """The buyer paid: what Stripe does when a Checkout page is submitted with a good card."""
    if session["status"] != "open":
        raise StripeError(f"This Checkout Session is {session['status']}, it can no longer be completed.")
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
        for key in ("trial_period_days", "trial_end", "description"):
            if data.get(key):
                params[key] = data[key]
        subscription = subscription_create(state, params, force_payment=True)
        invoice = state.objects[subscription["latest_invoice"]]
        session.update(
            subscription=subscription["id"],
            invoice=invoice["id"],
            payment_status="paid" if invoice["amount_paid"] > 0 else "no_payment_required",
        )
    else:
        data = session["_payment_intent_data"]
        intent, _ = payment_take(
            state,
            amount=session["amount_total"],
            currency=session["currency"],
            customer=customer_id,
            description=data.get("description") or None,
            metadata=metadata_merge({}, data.get("metadata")),
            at=at,
            force_success=True,
        )
        session.update(payment_intent=intent["id"], payment_status="paid")
    session.update(status="complete", url=None)
    state.emit("checkout.session.completed", session, at=at)
    return session


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
    session = state.base(
        "billing_portal.session",
        customer=customer["id"],
        configuration=as_str(params, "configuration") or "bpc_fakedefault",
        flow=None,
        locale=as_str(params, "locale"),
        on_behalf_of=None,
        return_url=as_str(params, "return_url"),
        url=None,
    )
    session["url"] = f"{state.base_url}/portal/{session['id']}"
    return state.add(session)
