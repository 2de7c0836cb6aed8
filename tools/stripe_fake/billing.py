"""Subscriptions, prorations, and what the clock does to them.

Billing periods follow Stripe: counted from the billing cycle anchor (trial end, or the start), a
month later on the same day of month, clamped to the month's last day (Jan 31 -> Feb 28 -> Mar 31).
Prorations are computed to the second: ``unit_amount * quantity * (period_end - proration_date) /
(period_end - period_start)``, rounded half-up to a minor unit per line, a negative line for the
unused time on the old price and a positive one for the remaining time on the new one.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stripe_fake.catalog import (
    LIST_PARAMS,
    TIMES,
    filtered,
    paginate,
    price_resolve,
    product_name,
)
from stripe_fake.errors import StripeError
from stripe_fake.invoices import (
    invoice_attempt_payment,
    invoice_await_payment,
    invoice_build,
    invoice_finalize,
    invoice_finalize_and_pay,
    invoice_item_create,
    line_spec,
    subscription_line,
)
from stripe_fake.params import (
    as_bool,
    as_dict,
    as_int,
    as_list,
    as_str,
    check_allowed,
    metadata_merge,
    refuse_unmodelled,
    required,
)
from stripe_fake.state import JSON, State, list_object, new_id

DAY = 86400
TRIAL_WILL_END_NOTICE = 3 * DAY
ENDED = ("canceled", "incomplete_expired")

# -- periods --------------------------------------------------------------------------------------


def add_interval(anchor: int, interval: str, count: int, times: int) -> int:
    if interval == "day":
        return anchor + times * count * DAY
    if interval == "week":
        return anchor + times * count * 7 * DAY
    start = datetime.fromtimestamp(anchor, tz=UTC)
    months = start.month - 1 + times * count * (12 if interval == "year" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def prorate(amount: int, remaining: int, total: int) -> int:
    if total <= 0:
        return 0
    remaining = max(0, min(remaining, total))
    exact = Decimal(amount) * Decimal(remaining) / Decimal(total)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _date_text(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%d %b %Y").lstrip("0")


def _interval_of(price: JSON) -> tuple[str, int]:
    recurring = price["recurring"]
    return recurring["interval"], recurring["interval_count"]


def _period_bounds(subscription: JSON, cycle: int) -> tuple[int, int]:
    interval, count = subscription["_interval"]
    anchor = subscription["_anchor"]
    return add_interval(anchor, interval, count, cycle), add_interval(anchor, interval, count, cycle + 1)


def _set_period(subscription: JSON, start: int, end: int) -> None:
    subscription["current_period_start"] = start
    subscription["current_period_end"] = end
    for item in subscription["items"]["data"]:
        item["current_period_start"] = start
        item["current_period_end"] = end


# -- subscriptions --------------------------------------------------------------------------------

SUBSCRIPTION_CREATE_PARAMS = {
    "add_invoice_items",
    "application_fee_percent",
    "automatic_tax",
    "backdate_start_date",
    "billing_cycle_anchor",
    "billing_cycle_anchor_config",
    "billing_mode",
    "billing_thresholds",
    "cancel_at",
    "cancel_at_period_end",
    "collection_method",
    "currency",
    "customer",
    "days_until_due",
    "default_payment_method",
    "default_source",
    "default_tax_rates",
    "description",
    "discounts",
    "invoice_settings",
    "items",
    "metadata",
    "off_session",
    "on_behalf_of",
    "payment_behavior",
    "payment_settings",
    "pending_invoice_item_interval",
    "proration_behavior",
    "transfer_data",
    "trial_end",
    "trial_from_plan",
    "trial_period_days",
    "trial_settings",
}
SUBSCRIPTION_UPDATE_PARAMS = SUBSCRIPTION_CREATE_PARAMS - {
    "customer",
    "currency",
    "backdate_start_date",
    "billing_mode",
} | {"cancellation_details", "pause_collection", "proration_date"}
UNMODELLED = (
    "add_invoice_items",
    "automatic_tax",
    "discounts",
    "default_tax_rates",
    "application_fee_percent",
    "billing_thresholds",
    "pause_collection",
)
ITEM_PARAMS = {
    "price",
    "price_data",
    "quantity",
    "metadata",
    "tax_rates",
    "discounts",
    "billing_thresholds",
    "plan",
}


def _item_new(
    state: State, subscription_id: str, price: JSON, quantity: int, metadata: dict[str, str]
) -> JSON:
    return {
        "id": new_id("subscription_item"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": price["created"],
        "current_period_end": None,
        "current_period_start": None,
        "discounts": [],
        "metadata": metadata,
        "price": price,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def _check_items_compatible(items: list[JSON]) -> None:
    if not items:
        raise StripeError("Missing required param: items.", code="parameter_missing", param="items")
    first = items[0]["price"]
    for index, item in enumerate(items):
        price = item["price"]
        if price["type"] != "recurring":
            raise StripeError(
                "The price specified is set to `type=one_time` but this field only accepts prices with "
                "`type=recurring`.",
                param=f"items[{index}][price]",
            )
        if price["currency"] != first["currency"] or _interval_of(price) != _interval_of(first):
            raise StripeError(
                "Currency and interval fields must match across all plans on this subscription. Found "
                "mismatch in interval field.",
                param=f"items[{index}][price]",
            )
    price_ids = [item["price"]["id"] for item in items]
    if len(set(price_ids)) != len(price_ids):
        raise StripeError("Cannot add multiple subscription items with the same plan.", param="items")


def subscription_create(
    state: State,
    params: JSON,
    *,
    force_payment: bool = False,
) -> JSON:
    """``POST /v1/subscriptions`` (and the subscription a checkout session creates, which is paid by
    the browser: ``force_payment`` skips the customer's failure flag)."""
    check_allowed(params, SUBSCRIPTION_CREATE_PARAMS)
    refuse_unmodelled(params, UNMODELLED)
    customer = state.get("customer", required(params, "customer"), "customer")
    now = state.now(customer["id"])
    subscription_id = new_id("subscription")
    items = []
    for index, spec in enumerate(as_list(params, "items")):
        if not isinstance(spec, dict):
            raise StripeError("Invalid array", param="items")
        check_allowed(spec, ITEM_PARAMS, f"items[{index}]")
        refuse_unmodelled(spec, ("tax_rates", "discounts", "billing_thresholds"), f"items[{index}]")
        if spec.get("plan") and not spec.get("price"):
            spec = {**spec, "price": spec["plan"]}
        price = price_resolve(state, spec, f"items[{index}]")
        quantity = as_int(spec, "quantity", f"items[{index}][quantity]", minimum=0)
        items.append(
            _item_new(
                state,
                subscription_id,
                price,
                1 if quantity is None else quantity,
                metadata_merge({}, spec.get("metadata"), f"items[{index}][metadata]"),
            )
        )
    _check_items_compatible(items)
    for item in items:
        item["created"] = now

    trial_end = _trial_end_param(params, now)
    interval = _interval_of(items[0]["price"])
    subscription = state.base(
        "subscription",
        customer=customer["id"],
        application=None,
        application_fee_percent=None,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=trial_end or now,
        billing_cycle_anchor_config=None,
        billing_mode=_billing_mode(params, now),
        billing_thresholds=None,
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=None,
        cancellation_details={"comment": None, "feedback": None, "reason": None},
        collection_method="charge_automatically",
        currency=items[0]["price"]["currency"],
        current_period_end=None,
        current_period_start=None,
        days_until_due=None,
        default_payment_method=_default_method(state, customer, as_str(params, "default_payment_method")),
        default_source=None,
        default_tax_rates=[],
        description=as_str(params, "description"),
        discounts=[],
        ended_at=None,
        invoice_settings={"account_tax_ids": None, "issuer": {"type": "self"}},
        items=list_object(items, f"/v1/subscription_items?subscription={subscription_id}"),
        latest_invoice=None,
        metadata=metadata_merge({}, params.get("metadata")),
        next_pending_invoice_item_invoice=None,
        on_behalf_of=None,
        pause_collection=None,
        payment_settings={
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        pending_invoice_item_interval=None,
        pending_setup_intent=None,
        pending_update=None,
        schedule=None,
        start_date=now,
        status="trialing" if trial_end else "incomplete",
        test_clock=None,
        transfer_data=None,
        trial_end=trial_end,
        trial_settings={"end_behavior": {"missing_payment_method": "create_invoice"}},
        trial_start=now if trial_end else None,
        _anchor=trial_end or now,
        _cycle=-1 if trial_end else 0,
        _interval=interval,
        _trial_will_end_sent=False,
    )
    subscription["id"] = subscription_id
    if trial_end:
        _set_period(subscription, now, trial_end)
    else:
        _set_period(subscription, *_period_bounds(subscription, 0))
    if as_bool(params, "cancel_at_period_end"):
        _request_cancel_at_period_end(subscription, now)
    cancel_at = as_int(params, "cancel_at")
    if cancel_at:
        subscription["cancel_at"] = cancel_at
    state.add(subscription)

    if trial_end:
        lines = [
            line_spec(
                subscription,
                item,
                amount=0,
                period=(now, trial_end),
                description=f"Trial period for {product_name(state, item['price'])}",
            )
            for item in items
        ]
    else:
        lines = [subscription_line(state, subscription, item) for item in items]
    invoice = invoice_build(state, subscription, billing_reason="subscription_create", lines=lines, at=now)
    subscription["latest_invoice"] = invoice["id"]
    state.emit("customer.subscription.created", subscription, at=now)
    if params.get("payment_behavior") == "default_incomplete" and invoice["total"] > 0:
        invoice_finalize(state, invoice, now)
        if invoice["amount_remaining"] > 0:
            invoice_await_payment(state, invoice, now)
        else:
            _settle(state, subscription, invoice, now, failed_status="incomplete")
        return subscription
    _settle(state, subscription, invoice, now, failed_status="incomplete", force_payment=force_payment)
    return subscription


def _billing_mode(params: JSON, now: int) -> JSON:
    """``billing_mode[type]``: ``flexible`` is the default since 2025-06-30.basil (``classic`` on request)."""
    mode = as_dict(params, "billing_mode")
    check_allowed(mode, {"type", "flexible"}, "billing_mode")
    kind = as_str(mode, "type", "billing_mode[type]") or "flexible"
    if kind not in ("classic", "flexible"):
        raise StripeError(
            "Invalid billing_mode[type]: must be one of classic or flexible", param="billing_mode[type]"
        )
    flexible = {"proration_discounts": "itemized"} if kind == "flexible" else None
    return {"flexible": flexible, "type": kind, "updated_at": now}


def _default_method(state: State, customer: JSON, value: str | None) -> str | None:
    if not value:
        return None
    from stripe_fake.payment_methods import check_default

    check_default(state, customer, value, "default_payment_method")
    return value


def _trial_end_param(params: JSON, now: int) -> int | None:
    trial_end = params.get("trial_end")
    if trial_end not in (None, ""):
        if trial_end == "now":
            return None
        value = as_int(params, "trial_end")
        if value is None or value <= now:
            raise StripeError(
                "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
            )
        return value
    days = as_int(params, "trial_period_days", minimum=0)
    return now + days * DAY if days else None


def _request_cancel_at_period_end(subscription: JSON, at: int) -> None:
    subscription["cancel_at_period_end"] = True
    subscription["cancel_at"] = subscription["current_period_end"]
    subscription["canceled_at"] = at
    subscription["cancellation_details"] = {
        "comment": None,
        "feedback": None,
        "reason": "cancellation_requested",
    }


def _settle(
    state: State,
    subscription: JSON,
    invoice: JSON,
    at: int,
    *,
    failed_status: str,
    force_payment: bool = False,
) -> bool:
    """Finalize and pay ``invoice``; the subscription follows (active when paid, ``failed_status``
    when not) with a ``customer.subscription.updated`` if its status changed."""
    paid = invoice_finalize_and_pay(state, invoice, at, force_payment=force_payment)
    before = state.snapshot(subscription)
    if paid and subscription["status"] in ("incomplete", "past_due", "unpaid"):
        subscription["status"] = "active"
    elif not paid:
        subscription["status"] = failed_status
        if failed_status == "past_due" and invoice["next_payment_attempt"]:
            subscription["_failing_invoice"] = invoice["id"]
    state.changed("customer.subscription.updated", subscription, before, at=at)
    return paid


def subscription_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"customer", "price", "status"})
    customer = as_str(params, "customer")
    price = as_str(params, "price")
    status = as_str(params, "status")
    statuses = {
        None: lambda s: s not in ("canceled", "incomplete_expired"),
        "all": lambda s: True,
        "ended": lambda s: s in ENDED,
    }
    status_check = statuses.get(status, lambda s: s == status)
    objects = filtered(
        state,
        "subscription",
        lambda s: customer is None or s["customer"] == customer,
        lambda s: status_check(s["status"]),
        lambda s: price is None or any(i["price"]["id"] == price for i in s["items"]["data"]),
    )
    return paginate(state, objects, params, "/v1/subscriptions", expand)


def subscription_item_find(state: State, item_id: str, param: str = "id") -> tuple[JSON, JSON]:
    for subscription in state.all("subscription"):
        for item in subscription["items"]["data"]:
            if item["id"] == item_id:
                return subscription, item
    raise StripeError(
        f"No such subscription item: '{item_id}'", status=404, code="resource_missing", param=param
    )


def subscription_update(state: State, subscription: JSON, params: JSON) -> JSON:
    """Plan and quantity changes with prorations, cancellation at period end, metadata."""
    check_allowed(params, SUBSCRIPTION_UPDATE_PARAMS)
    refuse_unmodelled(params, UNMODELLED)
    if subscription["status"] in ENDED:
        allowed = {"metadata", "cancellation_details", "expand"}
        if set(params) - allowed:
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata.",
                param=sorted(set(params) - allowed)[0],
            )
    customer = subscription["customer"]
    now = state.now(customer)
    proration_date = as_int(params, "proration_date") or now
    behavior = as_str(params, "proration_behavior") or "create_prorations"
    if behavior not in ("create_prorations", "always_invoice", "none"):
        raise StripeError(
            "Invalid proration_behavior: must be one of create_prorations, none, or always_invoice",
            param="proration_behavior",
        )
    before = state.snapshot(subscription)

    subscription["metadata"] = metadata_merge(subscription["metadata"], params.get("metadata"))
    if "description" in params:
        subscription["description"] = as_str(params, "description")
    if "default_payment_method" in params:
        subscription["default_payment_method"] = _default_method(
            state, state.get("customer", customer), as_str(params, "default_payment_method")
        )
    cancellation_details = as_dict(params, "cancellation_details")
    if cancellation_details:
        check_allowed(cancellation_details, {"comment", "feedback"}, "cancellation_details")
        subscription["cancellation_details"].update(
            {key: (value or None) for key, value in cancellation_details.items()}
        )
    cancel_at_period_end = as_bool(params, "cancel_at_period_end")
    if cancel_at_period_end is True:
        _request_cancel_at_period_end(subscription, now)
    elif cancel_at_period_end is False:
        subscription.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
        subscription["cancellation_details"]["reason"] = None
    if "cancel_at" in params:
        subscription["cancel_at"] = as_int(params, "cancel_at")
        subscription["cancel_at_period_end"] = False
        subscription["canceled_at"] = now if subscription["cancel_at"] else None

    changes = _apply_item_changes(state, subscription, as_list(params, "items"), now)
    end_trial_now = params.get("trial_end") == "now"
    if params.get("trial_end") not in (None, "", "now") and subscription["status"] == "trialing":
        trial_end = _trial_end_param(params, now)
        assert trial_end is not None
        subscription.update(trial_end=trial_end, _anchor=trial_end, billing_cycle_anchor=trial_end)
        _set_period(subscription, subscription["current_period_start"], trial_end)
        if subscription["cancel_at_period_end"]:
            subscription["cancel_at"] = trial_end

    invoice: JSON | None = None
    pending_items: list[JSON] = []
    new_interval = _interval_of(subscription["items"]["data"][0]["price"])
    interval_changed = new_interval != subscription["_interval"]
    reset_anchor = params.get("billing_cycle_anchor") == "now"
    if subscription["status"] == "trialing":
        # Nothing is charged during a trial: the new prices apply from its end.
        subscription["_interval"] = new_interval
        if interval_changed:
            _set_period(subscription, subscription["current_period_start"], subscription["trial_end"])
    elif changes or interval_changed or reset_anchor:
        credits, debits = _proration_lines(state, subscription, changes, proration_date)
        if interval_changed or reset_anchor:
            # A new billing period starts now and is invoiced at once, less the unused time.
            subscription.update(_interval=new_interval, _anchor=now, _cycle=0, billing_cycle_anchor=now)
            _set_period(subscription, *_period_bounds(subscription, 0))
            if subscription["cancel_at_period_end"]:
                subscription["cancel_at"] = subscription["current_period_end"]
            lines = [] if behavior == "none" else credits
            lines += [subscription_line(state, subscription, item) for item in subscription["items"]["data"]]
            invoice = invoice_build(
                state, subscription, billing_reason="subscription_update", lines=lines, at=now
            )
        elif behavior == "always_invoice" and (credits or debits):
            invoice = invoice_build(
                state, subscription, billing_reason="subscription_update", lines=credits + debits, at=now
            )
        elif behavior == "create_prorations":
            pending_items = [invoice_item_create(state, subscription, spec, now) for spec in credits + debits]
    if invoice is not None:
        subscription["latest_invoice"] = invoice["id"]
    state.changed("customer.subscription.updated", subscription, before, at=now)
    for invoice_item in pending_items:
        state.emit("invoiceitem.created", invoice_item, at=now)
    if invoice is not None:
        _settle(state, subscription, invoice, now, failed_status="past_due")
    if end_trial_now and subscription["status"] == "trialing":
        _trial_end(state, subscription, now)
    return subscription


def _apply_item_changes(
    state: State, subscription: JSON, specs: list[Any], now: int
) -> list[tuple[JSON | None, int, JSON | None, int, JSON]]:
    """Apply ``items[n]``; return (old price, old quantity, new price, new quantity, item) for each
    change that moves money."""
    changes: list[tuple[JSON | None, int, JSON | None, int, JSON]] = []
    items: list[JSON] = subscription["items"]["data"]
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise StripeError("Invalid array", param="items")
        prefix = f"items[{index}]"
        check_allowed(spec, ITEM_PARAMS | {"id", "deleted", "clear_usage"}, prefix)
        refuse_unmodelled(spec, ("tax_rates", "discounts", "billing_thresholds"), prefix)
        if spec.get("plan") and not spec.get("price"):
            spec = {**spec, "price": spec["plan"]}
        item_id = as_str(spec, "id")
        quantity = as_int(spec, "quantity", f"{prefix}[quantity]", minimum=0)
        if item_id:
            item = next((i for i in items if i["id"] == item_id), None)
            if item is None:
                raise StripeError(
                    f"No such subscription item: '{item_id}'",
                    status=404,
                    code="resource_missing",
                    param=f"{prefix}[id]",
                )
            old_price, old_quantity = item["price"], item["quantity"]
            if as_bool(spec, "deleted", f"{prefix}[deleted]"):
                items.remove(item)
                changes.append((old_price, old_quantity, None, 0, item))
                continue
            new_price = (
                price_resolve(state, spec, prefix)
                if spec.get("price") or spec.get("price_data")
                else old_price
            )
            new_quantity = old_quantity if quantity is None else quantity
            item["metadata"] = metadata_merge(item["metadata"], spec.get("metadata"), f"{prefix}[metadata]")
            if new_price["id"] != old_price["id"] or new_quantity != old_quantity:
                item.update(price=new_price, quantity=new_quantity)
                changes.append((old_price, old_quantity, new_price, new_quantity, item))
        else:
            price = price_resolve(state, spec, prefix)
            item = _item_new(
                state,
                subscription["id"],
                price,
                1 if quantity is None else quantity,
                metadata_merge({}, spec.get("metadata"), f"{prefix}[metadata]"),
            )
            item.update(
                created=now,
                current_period_start=subscription["current_period_start"],
                current_period_end=subscription["current_period_end"],
            )
            items.append(item)
            changes.append((None, 0, price, item["quantity"], item))
    if specs:
        _check_items_compatible(items)
    return changes


def _proration_lines(
    state: State, subscription: JSON, changes: list[tuple[JSON | None, int, JSON | None, int, JSON]], at: int
) -> tuple[list[JSON], list[JSON]]:
    start, end = subscription["current_period_start"], subscription["current_period_end"]
    remaining, total = end - at, end - start
    credits, debits = [], []
    date = _date_text(at)
    for old_price, old_quantity, new_price, new_quantity, item in changes:
        if old_price is not None and old_quantity:
            amount = -prorate(old_price["unit_amount"] * old_quantity, remaining, total)
            credits.append(
                line_spec(
                    subscription,
                    item,
                    amount=amount,
                    period=(at, end),
                    proration=True,
                    price=old_price,
                    quantity=old_quantity,
                    description=f"Unused time on {_item_text(state, old_price, old_quantity)} after {date}",
                )
            )
        if new_price is not None and new_quantity:
            amount = prorate(new_price["unit_amount"] * new_quantity, remaining, total)
            debits.append(
                line_spec(
                    subscription,
                    item,
                    amount=amount,
                    period=(at, end),
                    proration=True,
                    price=new_price,
                    quantity=new_quantity,
                    description=f"Remaining time on {_item_text(state, new_price, new_quantity)} "
                    f"after {date}",
                )
            )
    return credits, debits


def _item_text(state: State, price: JSON, quantity: int) -> str:
    name = product_name(state, price)
    return name if quantity == 1 else f"{quantity} {TIMES} {name}"


def customer_delete(state: State, customer: JSON) -> JSON:
    """``DELETE /v1/customers/<id>``: its live subscriptions are cancelled first, as Stripe does."""
    for subscription in filtered(state, "subscription", lambda s: s["customer"] == customer["id"]):
        if subscription["status"] not in ENDED:
            subscription_cancel(state, subscription, {})
    state.emit("customer.deleted", customer)
    customer["deleted"] = True
    return {"id": customer["id"], "object": "customer", "deleted": True}


def subscription_cancel(state: State, subscription: JSON, params: JSON) -> JSON:
    """``DELETE /v1/subscriptions/<id>``: ends it now (no refund; ``prorate``/``invoice_now`` are
    accepted and ignored)."""
    check_allowed(params, {"cancellation_details", "invoice_now", "prorate"})
    if subscription["status"] in ENDED:
        raise StripeError("A canceled subscription can only update its cancellation_details and metadata.")
    now = state.now(subscription["customer"])
    details = as_dict(params, "cancellation_details")
    _end(state, subscription, now, reason="cancellation_requested", details=details)
    return subscription


def _end(state: State, subscription: JSON, at: int, *, reason: str, details: JSON | None = None) -> None:
    subscription.update(status="canceled", ended_at=at, canceled_at=subscription["canceled_at"] or at)
    subscription["cancellation_details"].update(
        reason=reason, **{k: v or None for k, v in (details or {}).items()}
    )
    state.emit("customer.subscription.deleted", subscription, at=at)


# -- the clock ------------------------------------------------------------------------------------


def _next_transition(state: State, subscription: JSON) -> tuple[int, int, str] | None:
    """(when, order among simultaneous transitions, what) of the subscription's next transition."""
    status = subscription["status"]
    if status in ENDED or status == "paused":
        return None
    if status == "incomplete":
        # The first invoice was not paid: Stripe expires the subscription after 23 hours.
        return (subscription["created"] + int(state.settings["incomplete_expiry"]), 1, "expire")
    candidates: list[tuple[int, int, str]] = []
    if status == "trialing":
        trial_end = subscription["trial_end"]
        notice = trial_end - TRIAL_WILL_END_NOTICE
        if not subscription["_trial_will_end_sent"] and notice > subscription["created"]:
            candidates.append((notice, 0, "trial_will_end"))
        candidates.append((trial_end, 2, "trial_end"))
    else:
        candidates.append((subscription["current_period_end"], 3, "renew"))
    draft = state.find(subscription.get("_draft_invoice") or "")
    if draft is not None and draft["status"] == "draft" and draft["automatically_finalizes_at"]:
        candidates.append((draft["automatically_finalizes_at"], 1, "finalize"))
    failing = state.find(subscription.get("_failing_invoice") or "")
    if failing is not None and failing["status"] == "open" and failing["next_payment_attempt"]:
        candidates.append((failing["next_payment_attempt"], 1, "retry"))
    if subscription["cancel_at"] is not None:
        candidates.append((subscription["cancel_at"], 1, "cancel"))
    return min(candidates)


def process_due(state: State, customer: str | None = None) -> int:
    """Run every transition that is due by now (in each customer's own time), in time order:
    trial notices, trial ends, renewals (a draft invoice, finalized and charged an hour later),
    payment retries and the end of dunning, scheduled cancellations, the expiry of incomplete
    subscriptions, delayed payments of Checkout sessions settling. Returns how many ran."""
    from stripe_fake.checkout import settle_due_sessions

    done = 0
    while True:
        due: list[tuple[int, int, str, JSON]] = []
        for subscription in state.all("subscription"):
            if customer is not None and subscription["customer"] != customer:
                continue
            transition = _next_transition(state, subscription)
            if transition and transition[0] <= state.now(subscription["customer"]):
                due.append((*transition, subscription))
        if not due:
            return done + settle_due_sessions(state, customer)
        at, _, action, subscription = min(due, key=lambda entry: entry[:2])
        if action == "trial_will_end":
            subscription["_trial_will_end_sent"] = True
            state.emit("customer.subscription.trial_will_end", subscription, at=at)
        elif action == "cancel":
            _end(state, subscription, at, reason="cancellation_requested")
        elif action == "trial_end":
            _trial_end(state, subscription, at)
        elif action == "expire":
            _expire(state, subscription, at)
        elif action == "finalize":
            _finalize_draft(state, subscription, at)
        elif action == "retry":
            _retry(state, subscription, at)
        else:
            _renew(state, subscription, at)
        done += 1


def _trial_end(state: State, subscription: JSON, at: int) -> None:
    before = state.snapshot(subscription)
    subscription.update(status="active", trial_end=at, _anchor=at, _cycle=0, billing_cycle_anchor=at)
    subscription["_previous_period"] = (subscription["current_period_start"], at)
    _set_period(subscription, *_period_bounds(subscription, 0))
    if subscription["cancel_at_period_end"]:
        subscription["cancel_at"] = subscription["current_period_end"]
    _cycle_invoice(state, subscription, before, at)


def _renew(state: State, subscription: JSON, at: int) -> None:
    before = state.snapshot(subscription)
    subscription["_cycle"] += 1
    subscription["_previous_period"] = (
        subscription["current_period_start"],
        subscription["current_period_end"],
    )
    _set_period(subscription, *_period_bounds(subscription, subscription["_cycle"]))
    _cycle_invoice(state, subscription, before, at)


def _cycle_invoice(state: State, subscription: JSON, before: JSON, at: int) -> None:
    """A renewal (or trial end): the new period starts now; its invoice is created as a draft and
    finalized ``renewal_finalize_delay`` later (an ``unpaid`` subscription's stay drafts)."""
    lines = [subscription_line(state, subscription, item) for item in subscription["items"]["data"]]
    invoice = invoice_build(state, subscription, billing_reason="subscription_cycle", lines=lines, at=at)
    subscription["latest_invoice"] = invoice["id"]
    state.changed("customer.subscription.updated", subscription, before, at=at)
    delay = int(state.settings["renewal_finalize_delay"])
    if subscription["status"] != "unpaid":
        invoice["automatically_finalizes_at"] = at + delay
    state.emit("invoice.created", invoice, at=at)
    subscription["_draft_invoice"] = invoice["id"]
    if delay <= 0 and subscription["status"] != "unpaid":
        _finalize_draft(state, subscription, at)


def _finalize_draft(state: State, subscription: JSON, at: int) -> None:
    invoice = state.objects[subscription.pop("_draft_invoice")]
    invoice_finalize(state, invoice, at, announce=False)
    _collect(state, subscription, invoice, at)


def _collect(state: State, subscription: JSON, invoice: JSON, at: int) -> None:
    """Charge a renewal invoice; a failure makes the subscription ``past_due`` and starts dunning."""
    paid = invoice_attempt_payment(state, invoice, at)
    before = state.snapshot(subscription)
    if paid:
        if invoice["id"] == subscription["latest_invoice"] and subscription["status"] in (
            "past_due",
            "unpaid",
        ):
            subscription["status"] = "active"
        if subscription.get("_failing_invoice") == invoice["id"]:
            subscription.pop("_failing_invoice")
    else:
        subscription["_failing_invoice"] = invoice["id"]
        if subscription["status"] == "active":
            subscription["status"] = "past_due"
    state.changed("customer.subscription.updated", subscription, before, at=at)
    if not paid and invoice["next_payment_attempt"] is None:
        _dunning_exhausted(state, subscription, at)


def _retry(state: State, subscription: JSON, at: int) -> None:
    invoice = state.objects[subscription["_failing_invoice"]]
    _collect(state, subscription, invoice, at)


def _dunning_exhausted(state: State, subscription: JSON, at: int) -> None:
    """Every retry failed: the subscription becomes ``unpaid`` or is canceled (the
    ``dunning_final_action`` setting; Stripe's "If all retries for a payment fail")."""
    subscription.pop("_failing_invoice", None)
    if state.settings["dunning_final_action"] == "canceled":
        _end(state, subscription, at, reason="payment_failed")
        return
    before = state.snapshot(subscription)
    subscription["status"] = "unpaid"
    state.changed("customer.subscription.updated", subscription, before, at=at)


def _expire(state: State, subscription: JSON, at: int) -> None:
    """An ``incomplete`` subscription whose first invoice was not paid in time: it ends
    ``incomplete_expired`` and its open invoice is voided."""
    before = state.snapshot(subscription)
    subscription.update(status="incomplete_expired", ended_at=at, canceled_at=at)
    invoice = state.find(subscription["latest_invoice"] or "")
    if invoice is not None and invoice["status"] == "open":
        invoice.update(status="void", amount_remaining=0, next_payment_attempt=None)
        invoice["status_transitions"]["voided_at"] = at
        state.emit("invoice.voided", invoice, at=at)
    state.changed("customer.subscription.updated", subscription, before, at=at)


def fail_next_payment(state: State, customer: JSON, count: int, decline_code: str) -> None:
    customer["_fail_payments"] = count
    customer["_decline_code"] = decline_code
