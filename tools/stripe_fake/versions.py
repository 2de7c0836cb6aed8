"""API versions: objects are stored in the current shape (``2026-10-28.endive``); a webhook endpoint
created with an older ``api_version`` gets its events rendered in that version's shape, as Stripe
renders each endpoint's events in the endpoint's version (the account's default when it has none).

The one breaking change the platform's objects cross is ``2025-03-31.basil``; before it, Stripe sent:
``invoice.subscription`` and ``invoice.subscription_details`` (now ``invoice.parent.subscription_details``),
``subscription.current_period_start/end`` (now on each item), ``subscription.plan`` and
``subscription.quantity`` (single-item subscriptions), line items' ``price``, ``proration`` and ``type``
(now ``pricing.price_details`` and ``parent.subscription_item_details``) and ``total_count`` on the
lists embedded in subscriptions and invoices. :func:`legacy` puts them back for such endpoints.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from stripe_fake.state import JSON

BASIL = "2025-03-31.basil"
# Fields the basil release removed from the objects the fake serves: object type -> field names.
BASIL_REMOVED: dict[str, frozenset[str]] = {
    "invoice": frozenset({"subscription", "subscription_details", "charge", "payment_intent", "paid"}),
    "subscription": frozenset({"current_period_start", "current_period_end", "plan", "quantity"}),
    "line_item": frozenset({"price", "proration", "type", "plan", "proration_details"}),
    "list": frozenset({"total_count"}),
}


def is_before_basil(version: str | None) -> bool:
    return bool(version) and str(version)[:10] < BASIL[:10]


def render_for_version(event: JSON, version: str | None, price_of: Callable[[str], JSON | None]) -> JSON:
    """The event as an endpoint pinned to ``version`` receives it (``None``: the account's version)."""
    if not version or version == event.get("api_version"):
        return event
    rendered = copy.deepcopy(event)
    rendered["api_version"] = version
    if is_before_basil(version):
        legacy(rendered["data"]["object"], price_of)
    return rendered


def legacy(node: Any, price_of: Callable[[str], JSON | None]) -> None:
    """Add, in place, the pre-basil fields to every object under ``node``."""
    if isinstance(node, list):
        for value in node:
            legacy(value, price_of)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        legacy(value, price_of)
    kind = node.get("object")
    if kind == "subscription":
        items = (node.get("items") or {}).get("data") or []
        if items:
            node["current_period_start"] = items[0].get("current_period_start")
            node["current_period_end"] = items[0].get("current_period_end")
        if len(items) == 1:
            node["plan"] = items[0].get("plan")
            node["quantity"] = items[0].get("quantity")
        else:
            node["plan"], node["quantity"] = None, None
    elif kind == "invoice":
        details = (node.get("parent") or {}).get("subscription_details") or {}
        node["subscription"] = details.get("subscription")
        node["subscription_details"] = {"metadata": details.get("metadata") or {}}
    elif kind == "line_item":
        parent = (node.get("parent") or {}).get("subscription_item_details") or {}
        price_id = ((node.get("pricing") or {}).get("price_details") or {}).get("price")
        node["price"] = price_of(price_id) if price_id else None
        node["proration"] = bool(parent.get("proration"))
        node["type"] = "invoiceitem" if parent.get("invoice_item") else "subscription"
    elif kind == "list" and isinstance(node.get("data"), list):
        node["total_count"] = len(node["data"])
