"""Invoices: built from a subscription's lines and pending invoice items, finalized, paid.

A subscription's first invoice (and one billed by an update) is finalized and paid at once;
renewal invoices stay ``draft`` for an hour (``automatically_finalizes_at``, the
``renewal_finalize_delay`` setting) before they are finalized and charged, as Stripe does. A failed
renewal payment is retried per the ``dunning_retry_days`` setting (``next_payment_attempt``, see
:mod:`stripe_fake.billing`). Events come in Stripe's order: ``invoice.created`` (draft),
``invoice.finalized``,
``payment_intent.created``, ``charge.succeeded``, ``payment_intent.succeeded``, ``invoice.paid``,
``invoice.payment_succeeded``, or ``charge.failed``, ``payment_intent.payment_failed``,
``invoice.payment_failed``. A negative total becomes customer credit (``customer.balance``), applied
to the next invoice.
"""

from __future__ import annotations

from stripe_fake.catalog import LIST_PARAMS, TIMES, filtered, paginate, price_text, product_name
from stripe_fake.errors import StripeError
from stripe_fake.params import as_bool, as_dict, as_str, check_allowed
from stripe_fake.payment_methods import default_for, resolve
from stripe_fake.payments import card_error, payment_intent_create, payment_take
from stripe_fake.state import JSON, State, list_object, new_id

DAY = 86400


def line_spec(
    subscription: JSON,
    item: JSON,
    *,
    amount: int,
    period: tuple[int, int],
    description: str,
    proration: bool = False,
    price: JSON | None = None,
    quantity: int | None = None,
) -> JSON:
    return {
        "amount": amount,
        "description": description,
        "period": period,
        "proration": proration,
        "price": price or item["price"],
        "quantity": item["quantity"] if quantity is None else quantity,
        "subscription": subscription["id"],
        "subscription_item": item["id"],
        "invoice_item": None,
    }


def subscription_line(state: State, subscription: JSON, item: JSON) -> JSON:
    price = item["price"]
    return line_spec(
        subscription,
        item,
        amount=price["unit_amount"] * item["quantity"],
        period=(subscription["current_period_start"], subscription["current_period_end"]),
        description=f"{item['quantity']} {TIMES} {product_name(state, price)} (at {price_text(price)})",
    )


def invoice_item_create(state: State, subscription: JSON, spec: JSON, at: int) -> JSON:
    """A pending proration (``create_prorations``), billed on the subscription's next invoice."""
    price = spec["price"]
    invoice_item = state.base(
        "invoiceitem",
        customer=subscription["customer"],
        amount=spec["amount"],
        currency=subscription["currency"],
        date=at,
        description=spec["description"],
        discountable=False,
        discounts=[],
        invoice=None,
        metadata={},
        net_amount=spec["amount"],
        parent={
            "subscription_details": {
                "subscription": subscription["id"],
                "subscription_item": spec["subscription_item"],
            },
            "type": "subscription_details",
        },
        period={"start": spec["period"][0], "end": spec["period"][1]},
        pricing={
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        proration=True,
        proration_details={"credited_items": None},
        quantity=spec["quantity"],
        tax_rates=[],
        test_clock=None,
        _spec=spec,
    )
    # Invoice items have a ``date``, no ``created``.
    del invoice_item["created"]
    state.add(invoice_item)
    return invoice_item


def invoice_build(
    state: State, subscription: JSON, *, billing_reason: str, lines: list[JSON], at: int
) -> JSON:
    """A draft invoice of the subscription's ``lines`` plus its pending invoice items."""
    customer = state.get("customer", subscription["customer"])
    invoice_id = new_id("invoice")
    pending = [
        ii
        for ii in reversed(state.all("invoiceitem"))
        if ii["invoice"] is None
        and ii["parent"]["subscription_details"]["subscription"] == subscription["id"]
    ]
    specs = [{**ii["_spec"], "invoice_item": ii["id"]} for ii in pending] + lines
    for ii in pending:
        ii["invoice"] = invoice_id
    line_objects = [_line_object(invoice_id, subscription, spec) for spec in specs]
    total = sum(line["amount"] for line in line_objects)
    period_start = min((spec["period"][0] for spec in lines), default=at)
    period_end = max((spec["period"][1] for spec in lines), default=at)
    if billing_reason == "subscription_cycle":
        # Stripe's renewal invoice covers the period that just ended (its lines the one that starts).
        period_start, period_end = subscription["_previous_period"]
    invoice = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Fake Stripe",
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": at,
        "currency": subscription["currency"],
        "custom_fields": None,
        "customer": customer["id"],
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": customer["tax_exempt"],
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": f"{state.base_url}/invoice/{invoice_id}",
        "invoice_pdf": f"{state.base_url}/invoice/{invoice_id}/pdf",
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(line_objects, f"/v1/invoices/{invoice_id}/lines"),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
                "subscription_proration_date": None,
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": customer["balance"],
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
        "_includable": {"payments": {"data": [], "url": f"/v1/invoice_payments?invoice={invoice_id}"}},
    }
    invoice["_subscription"] = subscription["id"]
    state.add(invoice)
    return invoice


def _line_object(invoice_id: str, subscription: JSON, spec: JSON) -> JSON:
    price = spec["price"]
    amount = spec["amount"]
    return {
        "id": new_id("line_item"),
        "object": "line_item",
        "amount": amount,
        "currency": subscription["currency"],
        "description": spec["description"],
        "discount_amounts": [],
        "discountable": not spec["proration"],
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(subscription["metadata"]),
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": spec["invoice_item"],
                "proration": spec["proration"],
                "proration_details": {"credited_items": None},
                "subscription": spec["subscription"],
                "subscription_item": spec["subscription_item"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": spec["period"][1], "start": spec["period"][0]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "quantity": spec["quantity"],
        "subscription": spec["subscription"],
        "subtotal": amount,
        "taxes": [],
    }


def invoice_finalize_and_pay(state: State, invoice: JSON, at: int, *, force_payment: bool = False) -> bool:
    """Emit ``invoice.created``, finalize (number, customer balance) and attempt payment."""
    invoice_finalize(state, invoice, at)
    return invoice_attempt_payment(state, invoice, at, force_payment=force_payment)


def invoice_finalize(state: State, invoice: JSON, at: int, *, announce: bool = True) -> None:
    """Number the invoice and apply the customer's balance (``announce``: send ``invoice.created``
    first, for an invoice finalized as soon as it is made)."""
    customer = state.get("customer", invoice["customer"])
    if announce:
        state.emit("invoice.created", invoice, at=at)
    invoice["automatically_finalizes_at"] = None
    total, balance = invoice["total"], customer["balance"]
    if total < 0:
        # A credit (downgrade billed at once) goes to the customer's balance for the next invoice.
        amount_due, ending = 0, balance + total
    elif balance < 0:
        applied = max(balance, -total)
        amount_due, ending = total + applied, balance - applied
    else:
        amount_due, ending = total + balance, 0
    customer["balance"] = ending
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{sequence:04d}",
        amount_due=amount_due,
        amount_remaining=amount_due,
        starting_balance=balance,
        ending_balance=ending,
        effective_at=at,
    )
    invoice["status_transitions"]["finalized_at"] = at
    state.emit("invoice.finalized", invoice, at=at)


def invoice_await_payment(state: State, invoice: JSON, at: int) -> None:
    """``payment_behavior=default_incomplete``: an open invoice whose payment intent waits for the
    customer (``confirmation_secret``); ``POST /v1/invoices/<id>/pay`` pays it."""
    intent = payment_intent_create(
        state,
        amount=invoice["amount_remaining"],
        currency=invoice["currency"],
        customer=invoice["customer"],
        description=_intent_description(invoice["billing_reason"]),
        at=at,
        status="requires_payment_method",
    )
    payment = state.base(
        "invoice_payment",
        amount_paid=None,
        amount_requested=invoice["amount_remaining"],
        currency=invoice["currency"],
        invoice=invoice["id"],
        is_default=True,
        payment={"payment_intent": intent["id"], "type": "payment_intent"},
        status="open",
        status_transitions={"canceled_at": None, "paid_at": None},
    )
    payment["created"] = at
    state.add(payment)
    invoice["_includable"]["payments"]["data"].append(payment["id"])
    invoice["confirmation_secret"] = {"client_secret": intent["client_secret"], "type": "payment_intent"}


def invoice_attempt_payment(
    state: State,
    invoice: JSON,
    at: int,
    *,
    force_payment: bool = False,
    payment_method: JSON | None = None,
) -> bool:
    if invoice["amount_remaining"] == 0:
        _invoice_paid(state, invoice, at)
        return True
    payments = invoice["_includable"]["payments"]["data"]
    open_payment = next((state.objects[p] for p in payments if state.objects[p]["status"] == "open"), None)
    previous_intent = state.find(open_payment["payment"]["payment_intent"]) if open_payment else None
    subscription = state.find(invoice["_subscription"])
    method = payment_method or default_for(state, invoice["customer"], subscription)
    intent, succeeded = payment_take(
        state,
        amount=invoice["amount_remaining"],
        currency=invoice["currency"],
        customer=invoice["customer"],
        description=_intent_description(invoice["billing_reason"]),
        at=at,
        force_success=force_payment,
        payment_intent=previous_intent,
        payment_method=method,
    )
    if open_payment is None:
        open_payment = state.base(
            "invoice_payment",
            amount_paid=None,
            amount_requested=invoice["amount_remaining"],
            currency=invoice["currency"],
            invoice=invoice["id"],
            is_default=True,
            payment={"payment_intent": intent["id"], "type": "payment_intent"},
            status="open",
            status_transitions={"canceled_at": None, "paid_at": None},
        )
        open_payment["created"] = at
        state.add(open_payment)
        payments.append(open_payment["id"])
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    if succeeded:
        open_payment.update(status="paid", amount_paid=invoice["amount_remaining"])
        open_payment["status_transitions"]["paid_at"] = at
        _invoice_paid(state, invoice, at)
        return True
    invoice["next_payment_attempt"] = _next_attempt(state, invoice, at)
    state.emit("invoice.payment_failed", invoice, at=at)
    return False


def _next_attempt(state: State, invoice: JSON, at: int) -> int | None:
    """When Stripe retries a failed invoice: never the first invoice of a subscription (it stays
    ``incomplete``); renewals per ``dunning_retry_days`` (days after the previous attempt)."""
    if invoice["billing_reason"] == "subscription_create":
        return None
    days = state.settings["dunning_retry_days"]
    retries_done = invoice["attempt_count"] - 1
    return at + int(days[retries_done]) * DAY if retries_done < len(days) else None


def _intent_description(billing_reason: str) -> str:
    return {
        "subscription_create": "Subscription creation",
        "subscription_cycle": "Subscription cycle",
        "subscription_update": "Subscription update",
    }.get(billing_reason, "Invoice payment")


def _invoice_paid(state: State, invoice: JSON, at: int) -> None:
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_paid"] + invoice["amount_remaining"],
        amount_remaining=0,
        next_payment_attempt=None,
    )
    invoice["status_transitions"]["paid_at"] = at
    state.emit("invoice.paid", invoice, at=at)
    state.emit("invoice.payment_succeeded", invoice, at=at)


def invoice_pay(state: State, invoice: JSON, params: JSON) -> JSON:
    """``POST /v1/invoices/<id>/pay``: retry an open invoice (a declined card answers 402)."""
    check_allowed(
        params, {"forgive", "mandate", "off_session", "paid_out_of_band", "payment_method", "source"}
    )
    if invoice["status"] == "paid":
        raise StripeError("Invoice is already paid")
    if invoice["status"] != "open":
        raise StripeError(f"You can only pay an invoice that is open (this one is {invoice['status']}).")
    at = state.now(invoice["customer"])
    subscription = state.find(invoice["parent"]["subscription_details"]["subscription"])
    method = None
    if params.get("payment_method"):
        method = resolve(state, params["payment_method"], "payment_method")
        if method["customer"] not in (None, invoice["customer"]):
            raise StripeError(
                "The provided PaymentMethod belongs to another customer.", param="payment_method"
            )
    if as_bool(params, "paid_out_of_band"):
        _invoice_paid(state, invoice, at)
        paid = True
    else:
        paid = invoice_attempt_payment(state, invoice, at, payment_method=method)
    if subscription is not None and paid and subscription.get("_failing_invoice") == invoice["id"]:
        subscription.pop("_failing_invoice")
    if subscription is not None and subscription["latest_invoice"] == invoice["id"] and paid:
        before = state.snapshot(subscription)
        if subscription["status"] in ("incomplete", "past_due", "unpaid"):
            subscription["status"] = "active"
        state.changed("customer.subscription.updated", subscription, before, at=at)
    if not paid:
        payments = invoice["_includable"]["payments"]["data"]
        intent = state.objects[state.objects[payments[-1]]["payment"]["payment_intent"]]
        raise card_error(intent)
    return invoice


def invoice_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"customer", "subscription", "status"})
    customer = as_str(params, "customer")
    subscription = as_str(params, "subscription")
    status = as_str(params, "status")
    objects = filtered(
        state,
        "invoice",
        lambda i: customer is None or i["customer"] == customer,
        lambda i: subscription is None or i["_subscription"] == subscription,
        lambda i: status is None or i["status"] == status,
    )
    return paginate(state, objects, params, "/v1/invoices", expand)


def invoice_payment_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"invoice", "payment", "status"})
    invoice = as_str(params, "invoice")
    payment = as_dict(params, "payment")
    status = as_str(params, "status")
    objects = filtered(
        state,
        "invoice_payment",
        lambda p: invoice is None or p["invoice"] == invoice,
        lambda p: (
            not payment.get("payment_intent") or p["payment"]["payment_intent"] == payment["payment_intent"]
        ),
        lambda p: status is None or p["status"] == status,
    )
    return paginate(state, objects, params, "/v1/invoice_payments", expand)


def invoice_item_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"customer", "invoice", "pending"})
    customer = as_str(params, "customer")
    invoice = as_str(params, "invoice")
    pending = as_bool(params, "pending")
    objects = filtered(
        state,
        "invoiceitem",
        lambda i: customer is None or i["customer"] == customer,
        lambda i: invoice is None or i["invoice"] == invoice,
        lambda i: pending is None or (i["invoice"] is None) == pending,
    )
    return paginate(state, objects, params, "/v1/invoiceitems", expand)
