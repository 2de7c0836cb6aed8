"""Customers, products and prices; lists and search shared by every resource."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from decimal import Decimal

from stripe_fake.errors import StripeError
from stripe_fake.params import (
    as_bool,
    as_dict,
    as_int,
    as_list,
    as_str,
    check_allowed,
    metadata_merge,
    required,
)
from stripe_fake.state import JSON, State, list_object

INTERVALS = ("day", "week", "month", "year")
TIMES = "\N{MULTIPLICATION SIGN}"
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)

# -- lists and search -----------------------------------------------------------------------------


def _page(objects: list[JSON], params: JSON) -> tuple[list[JSON], bool]:
    limit = as_int(params, "limit") or 10
    if not 1 <= limit <= 100:
        raise StripeError("Invalid integer: limit must be between 1 and 100", param="limit")
    ids = [obj["id"] for obj in objects]
    for cursor in ("starting_after", "ending_before"):
        value = as_str(params, cursor)
        if value and value not in ids:
            raise StripeError(f"No such object: '{value}'", status=404, code="resource_missing", param=cursor)
    starting_after = as_str(params, "starting_after")
    ending_before = as_str(params, "ending_before")
    if starting_after:
        window = objects[ids.index(starting_after) + 1 :]
        return window[:limit], len(window) > limit
    if ending_before:
        window = objects[: ids.index(ending_before)]
        return window[-limit:], len(window) > limit
    return objects[:limit], len(objects) > limit


LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "created"})
_BOUNDS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _created_filter(objects: list[JSON], params: JSON) -> list[JSON]:
    created = params.get("created")
    if created in (None, ""):
        return objects
    bounds = created if isinstance(created, dict) else {"eq": created}
    checks = []
    for key in bounds:
        if key != "eq" and key not in _BOUNDS:
            raise StripeError(
                f"Received unknown parameter: created[{key}]",
                code="parameter_unknown",
                param=f"created[{key}]",
            )
        bound = as_int(bounds, key, f"created[{key}]")
        checks.append((key, bound))
    return [
        obj
        for obj in objects
        if all(
            obj.get("created", obj.get("date")) == bound
            if key == "eq"
            else _BOUNDS[key](obj.get("created", obj.get("date")), bound)
            for key, bound in checks
        )
    ]


def paginate(state: State, objects: list[JSON], params: JSON, url: str, expand: list[str]) -> JSON:
    """A Stripe list page of stored objects (given newest first): ``created`` bounds, ``limit``
    (1..100, default 10), ``starting_after`` / ``ending_before`` cursors, ``data.*`` expansions."""
    page, has_more = _page(_created_filter(objects, params), params)
    item_expand = [path[len("data.") :] for path in expand if path.startswith("data.")]
    return list_object([state.render(obj, item_expand) for obj in page], url, has_more)


def paginate_plain(objects: list[JSON], params: JSON, url: str) -> JSON:
    """A list page of already rendered sub-objects (invoice lines, subscription items), in order."""
    page, has_more = _page(objects, params)
    return list_object(page, url, has_more)


_CLAUSE = re.compile(r"""^\s*(\w+)(?:\[['"](.+?)['"]\])?\s*(:|~)\s*['"](.*?)['"]\s*$""")


def search(state: State, kind: str, params: JSON, url: str, fields: set[str], expand: list[str]) -> JSON:
    """Stripe's search query language, the part tests use: ``email:'a@b.c' AND metadata['k']:'v'``
    (``:`` exact, ``~`` substring)."""
    query = required(params, "query")
    clauses: list[tuple[str, str | None, str, str]] = []
    for raw in re.split(r"\s+AND\s+", str(query)):
        match = _CLAUSE.match(raw)
        if not match or (match.group(1) not in fields and match.group(1) != "metadata"):
            raise StripeError(f"Invalid search query: {raw}", param="query")
        clauses.append((match.group(1), match.group(2), match.group(3), match.group(4)))

    def matches(obj: JSON) -> bool:
        for name, key, operator, wanted in clauses:
            value = (
                (obj.get("metadata") or {}).get(key or "")
                if name == "metadata"
                else obj.get(name, obj.get("_" + name))
            )
            text = "" if value is None else str(value)
            if operator == ":" and text != wanted:
                return False
            if operator == "~" and wanted.lower() not in text.lower():
                return False
        return True

    found = [obj for obj in state.all(kind) if not obj.get("deleted") and matches(obj)]
    limit = as_int(params, "limit") or 10
    item_expand = [path[len("data.") :] for path in expand if path.startswith("data.")]
    return {
        "object": "search_result",
        "data": [state.render(obj, item_expand) for obj in found[:limit]],
        "has_more": len(found) > limit,
        "next_page": None,
        "url": url,
    }


def filtered(state: State, kind: str, *checks: Callable[[JSON], bool]) -> list[JSON]:
    return [obj for obj in state.all(kind) if all(check(obj) for check in checks)]


# -- customers ------------------------------------------------------------------------------------

CUSTOMER_PARAMS = {
    "address",
    "balance",
    "description",
    "email",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "payment_method",
    "phone",
    "preferred_locales",
    "shipping",
    "source",
    "tax",
    "tax_exempt",
    "tax_id_data",
    "test_clock",
    "next_invoice_sequence",
    "validate",
}


def customer_create(state: State, params: JSON) -> JSON:
    check_allowed(params, CUSTOMER_PARAMS)
    prefix = as_str(params, "invoice_prefix") or secrets.token_hex(4).upper()
    customer = state.base(
        "customer",
        address=params.get("address") or None,
        balance=as_int(params, "balance") or 0,
        currency=None,
        default_source=None,
        delinquent=False,
        description=as_str(params, "description"),
        discount=None,
        email=as_str(params, "email"),
        invoice_prefix=prefix,
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        metadata=metadata_merge({}, params.get("metadata")),
        name=as_str(params, "name"),
        next_invoice_sequence=as_int(params, "next_invoice_sequence", minimum=1) or 1,
        phone=as_str(params, "phone"),
        preferred_locales=as_list(params, "preferred_locales"),
        shipping=None,
        tax_exempt=as_str(params, "tax_exempt") or "none",
        test_clock=None,
        _fail_payments=0,
        _decline_code="card_declined",
    )
    state.add(customer)
    token = as_str(params, "payment_method")
    attached = None
    if token:
        from stripe_fake import payment_methods

        attached = payment_methods.resolve(state, token, "payment_method")
        payment_methods.attach(state, attached, customer)
    settings = dict(as_dict(params, "invoice_settings"))
    if attached is not None and settings.get("default_payment_method") == token:
        # Stripe's docs pass the same test token twice: it names the method just attached.
        settings["default_payment_method"] = attached["id"]
    _customer_settings(state, customer, {**params, "invoice_settings": settings})
    state.emit("customer.created", customer)
    return customer


def _customer_settings(state: State, customer: JSON, params: JSON) -> None:
    settings = as_dict(params, "invoice_settings")
    check_allowed(
        settings,
        {"custom_fields", "default_payment_method", "footer", "rendering_options"},
        "invoice_settings",
    )
    if "default_payment_method" in settings:
        from stripe_fake.payment_methods import check_default

        method_id = settings["default_payment_method"] or None
        check_default(state, customer, method_id, "invoice_settings[default_payment_method]")
        customer["invoice_settings"]["default_payment_method"] = method_id
    if "footer" in settings:
        customer["invoice_settings"]["footer"] = settings["footer"] or None


def customer_update(state: State, customer: JSON, params: JSON) -> JSON:
    check_allowed(
        params, CUSTOMER_PARAMS - {"test_clock", "payment_method", "tax_id_data"} | {"default_source"}
    )
    before = state.snapshot(customer)
    for key in ("description", "email", "name", "phone"):
        if key in params:
            customer[key] = as_str(params, key)
    if "balance" in params:
        customer["balance"] = as_int(params, "balance") or 0
    if "invoice_prefix" in params:
        customer["invoice_prefix"] = required(params, "invoice_prefix")
    if "address" in params:
        customer["address"] = params["address"] or None
    if "preferred_locales" in params:
        customer["preferred_locales"] = as_list(params, "preferred_locales")
    customer["metadata"] = metadata_merge(customer["metadata"], params.get("metadata"))
    _customer_settings(state, customer, params)
    state.changed("customer.updated", customer, before)
    return customer


def customer_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"email"})
    email = as_str(params, "email")
    objects = filtered(
        state, "customer", lambda c: not c.get("deleted"), lambda c: email is None or c["email"] == email
    )
    return paginate(state, objects, params, "/v1/customers", expand)


# -- products -------------------------------------------------------------------------------------

PRODUCT_PARAMS = {
    "active",
    "default_price_data",
    "description",
    "id",
    "images",
    "marketing_features",
    "metadata",
    "name",
    "package_dimensions",
    "shippable",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
}


def product_create(state: State, params: JSON, inline: bool = False) -> JSON:
    """A product; ``inline``: the one behind ``product_data`` of an inline price (no event)."""
    check_allowed(params, PRODUCT_PARAMS)
    name = required(params, "name")
    product_id = as_str(params, "id")
    if product_id and product_id in state.objects:
        raise StripeError("Product already exists.", code="resource_already_exists", param="id")
    product = state.base(
        "product",
        active=as_bool(params, "active") is not False,
        default_price=None,
        description=as_str(params, "description"),
        images=as_list(params, "images"),
        marketing_features=[],
        metadata=metadata_merge({}, params.get("metadata")),
        name=str(name),
        package_dimensions=None,
        shippable=as_bool(params, "shippable"),
        statement_descriptor=as_str(params, "statement_descriptor"),
        tax_code=as_str(params, "tax_code"),
        type="service",
        unit_label=as_str(params, "unit_label"),
        url=as_str(params, "url"),
    )
    if product_id:
        product["id"] = product_id
    product["updated"] = product["created"]
    state.add(product)
    if not inline:
        state.emit("product.created", product)
    default_price_data = as_dict(params, "default_price_data")
    if default_price_data:
        check_allowed(
            default_price_data,
            {
                "currency",
                "unit_amount",
                "unit_amount_decimal",
                "recurring",
                "tax_behavior",
                "currency_options",
                "metadata",
            },
            "default_price_data",
        )
        price = price_create(state, {**default_price_data, "product": product["id"]})
        product["default_price"] = price["id"]
    return product


def product_update(state: State, product: JSON, params: JSON) -> JSON:
    check_allowed(params, PRODUCT_PARAMS - {"id", "default_price_data"} | {"default_price"})
    before = state.snapshot(product)
    for key in ("description", "statement_descriptor", "unit_label", "url", "tax_code"):
        if key in params:
            product[key] = as_str(params, key)
    if "name" in params:
        product["name"] = required(params, "name")
    if "active" in params:
        product["active"] = bool(as_bool(params, "active"))
    if "default_price" in params:
        price_id = as_str(params, "default_price")
        if price_id:
            state.get("price", price_id, "default_price")
        product["default_price"] = price_id
    if "images" in params:
        product["images"] = as_list(params, "images")
    product["metadata"] = metadata_merge(product["metadata"], params.get("metadata"))
    product["updated"] = state.now()
    state.changed("product.updated", product, before)
    return product


def product_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"active", "ids"})
    active = as_bool(params, "active")
    ids = as_list(params, "ids")
    objects = filtered(
        state,
        "product",
        lambda p: not p.get("deleted"),
        lambda p: active is None or p["active"] == active,
        lambda p: not ids or p["id"] in ids,
    )
    return paginate(state, objects, params, "/v1/products", expand)


# -- prices ---------------------------------------------------------------------------------------

PRICE_PARAMS = {
    "active",
    "billing_scheme",
    "currency",
    "currency_options",
    "custom_unit_amount",
    "lookup_key",
    "metadata",
    "nickname",
    "product",
    "product_data",
    "recurring",
    "tax_behavior",
    "tiers",
    "tiers_mode",
    "transfer_lookup_key",
    "transform_quantity",
    "unit_amount",
    "unit_amount_decimal",
}


def price_create(state: State, params: JSON, param_prefix: str = "", inline: bool = False) -> JSON:
    """A price; also the one behind ``price_data`` in subscription and checkout items (``inline``:
    Stripe creates it as an inactive price that lists do not show)."""

    def name(key: str) -> str:
        return f"{param_prefix}[{key}]" if param_prefix else key

    if not inline:
        check_allowed(params, PRICE_PARAMS)
    currency = str(required(params, "currency", name("currency"))).lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise StripeError(f"Invalid currency: {currency}.", param=name("currency"))
    unit_amount = as_int(params, "unit_amount", name("unit_amount"), minimum=0)
    if unit_amount is None:
        decimal = as_str(params, "unit_amount_decimal")
        if decimal is None:
            raise StripeError(
                "Missing required param: unit_amount.", code="parameter_missing", param=name("unit_amount")
            )
        exact = Decimal(decimal)
        if exact != exact.to_integral_value():
            raise StripeError("The fake supports whole minor units only.", param=name("unit_amount_decimal"))
        unit_amount = int(exact)
    product_id = as_str(params, "product")
    product_data = as_dict(params, "product_data")
    if product_id:
        state.get("product", product_id, name("product"))
    elif product_data:
        check_allowed(
            product_data,
            {
                "name",
                "description",
                "images",
                "metadata",
                "tax_code",
                "unit_label",
                "active",
                "statement_descriptor",
                "id",
            },
            name("product_data"),
        )
        product_id = product_create(state, product_data, inline=inline)["id"]
    else:
        raise StripeError("Missing required param: product.", code="parameter_missing", param=name("product"))
    recurring = as_dict(params, "recurring", name("recurring"))
    recurring_out = None
    if recurring:
        check_allowed(
            recurring,
            {"interval", "interval_count", "usage_type", "meter", "trial_period_days", "aggregate_usage"},
            name("recurring"),
        )
        interval = required(recurring, "interval", f"{name('recurring')}[interval]")
        if interval not in INTERVALS:
            raise StripeError(
                f"Invalid recurring[interval]: must be one of {', '.join(INTERVALS)}",
                param=f"{name('recurring')}[interval]",
            )
        recurring_out = {
            "interval": interval,
            "interval_count": as_int(recurring, "interval_count", minimum=1) or 1,
            "meter": None,
            "trial_period_days": as_int(recurring, "trial_period_days"),
            "usage_type": "licensed",
        }
    lookup_key = as_str(params, "lookup_key")
    if lookup_key:
        holders = [p for p in state.all("price") if p.get("lookup_key") == lookup_key]
        if holders and not as_bool(params, "transfer_lookup_key"):
            raise StripeError(
                f"A price (`{holders[0]['id']}`) already uses that lookup key.",
                param="lookup_key",
            )
        for holder in holders:
            before = state.snapshot(holder)
            holder["lookup_key"] = None
            state.changed("price.updated", holder, before)
    price = state.base(
        "price",
        active=not inline and as_bool(params, "active") is not False,
        billing_scheme="per_unit",
        currency=currency,
        custom_unit_amount=None,
        lookup_key=lookup_key,
        metadata=metadata_merge({}, params.get("metadata")),
        nickname=as_str(params, "nickname"),
        product=product_id,
        recurring=recurring_out,
        tax_behavior=as_str(params, "tax_behavior") or "unspecified",
        tiers_mode=None,
        transform_quantity=None,
        type="recurring" if recurring_out else "one_time",
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
        _inline=inline,
    )
    state.add(price)
    if not inline:
        state.emit("price.created", price)
    return price


def price_update(state: State, price: JSON, params: JSON) -> JSON:
    check_allowed(
        params,
        {
            "active",
            "currency_options",
            "lookup_key",
            "metadata",
            "nickname",
            "tax_behavior",
            "transfer_lookup_key",
        },
    )
    before = state.snapshot(price)
    if "active" in params:
        price["active"] = bool(as_bool(params, "active"))
    if "nickname" in params:
        price["nickname"] = as_str(params, "nickname")
    if "lookup_key" in params:
        lookup_key = as_str(params, "lookup_key")
        holders = [
            p
            for p in state.all("price")
            if lookup_key and p.get("lookup_key") == lookup_key and p is not price
        ]
        if holders and not as_bool(params, "transfer_lookup_key"):
            raise StripeError(
                f"A price (`{holders[0]['id']}`) already uses that lookup key.", param="lookup_key"
            )
        for holder in holders:
            holder_before = state.snapshot(holder)
            holder["lookup_key"] = None
            state.changed("price.updated", holder, holder_before)
        price["lookup_key"] = lookup_key
    price["metadata"] = metadata_merge(price["metadata"], params.get("metadata"))
    state.changed("price.updated", price, before)
    return price


def price_list(state: State, params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, LIST_PARAMS | {"active", "currency", "lookup_keys", "product", "recurring", "type"})
    active = as_bool(params, "active")
    lookup_keys = as_list(params, "lookup_keys")
    product = as_str(params, "product")
    kind = as_str(params, "type")
    currency = as_str(params, "currency")
    recurring = as_dict(params, "recurring")
    check_allowed(recurring, {"interval"}, "recurring")
    objects = filtered(
        state,
        "price",
        lambda p: not p["_inline"],
        lambda p: active is None or p["active"] == active,
        lambda p: not lookup_keys or p["lookup_key"] in lookup_keys,
        lambda p: product is None or p["product"] == product,
        lambda p: kind is None or p["type"] == kind,
        lambda p: currency is None or p["currency"] == currency.lower(),
        lambda p: (
            not recurring.get("interval") or (p["recurring"] or {}).get("interval") == recurring["interval"]
        ),
    )
    return paginate(state, objects, params, "/v1/prices", expand)


def price_resolve(state: State, spec: JSON, prefix: str) -> JSON:
    """The price of a subscription or checkout item: ``price`` (an id) or inline ``price_data``."""
    price_id = as_str(spec, "price")
    if price_id:
        price = state.get("price", price_id, f"{prefix}[price]")
        if not price["active"] and not price["_inline"]:
            raise StripeError(
                "The price specified is inactive. This field only accepts active prices.",
                param=f"{prefix}[price]",
            )
        return price
    price_data = as_dict(spec, "price_data", f"{prefix}[price_data]")
    if not price_data:
        raise StripeError(
            f"Missing required param: {prefix}[price].", code="parameter_missing", param=f"{prefix}[price]"
        )
    check_allowed(
        price_data,
        {
            "currency",
            "product",
            "product_data",
            "recurring",
            "tax_behavior",
            "unit_amount",
            "unit_amount_decimal",
        },
        f"{prefix}[price_data]",
    )
    return price_create(state, price_data, f"{prefix}[price_data]", inline=True)


def product_name(state: State, price: JSON) -> str:
    product = state.find(price["product"])
    return str(product["name"]) if product else price["product"]


def money_text(amount: int, currency: str) -> str:
    symbols = {"usd": "$", "eur": "€", "gbp": "£"}
    major = f"{amount:,}" if currency in ZERO_DECIMAL else f"{Decimal(amount) / 100:,.2f}"
    symbol = symbols.get(currency)
    return f"{symbol}{major}" if symbol else f"{major} {currency.upper()}"


def price_text(price: JSON) -> str:
    recurring = price.get("recurring")
    text = money_text(price["unit_amount"], price["currency"])
    if not recurring:
        return text
    count = recurring["interval_count"]
    per = recurring["interval"] if count == 1 else f"{count} {recurring['interval']}s"
    return f"{text} / {per}"
