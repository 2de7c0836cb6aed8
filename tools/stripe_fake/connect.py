"""Stripe Connect in the fake: connected accounts, onboarding links, transfers, reversals, the
platform balance and connected-account payouts that fail.

What it serves (API version ``2026-10-28.endive`` shapes)
    ``POST /v1/accounts`` (``type=express|standard|custom`` or ``controller[...]``, ``country``,
    ``email``, ``capabilities[transfers][requested]``, ``business_type``, ``metadata``), ``GET
    /v1/accounts/<id>``, ``POST /v1/accounts/<id>`` (metadata, email), ``POST /v1/account_links``
    (``account``, ``refresh_url``, ``return_url``, ``type=account_onboarding|account_update``),
    ``POST /v1/transfers`` (``amount``, ``currency``, ``destination``, ``transfer_group``,
    ``metadata``, ``description``; ``Idempotency-Key`` is honoured by the server for every POST),
    ``GET /v1/transfers``, ``GET /v1/transfers/<id>``, ``GET /v1/payouts/<id>`` (with the
    ``Stripe-Account`` header of the connected account it belongs to, as Stripe wants), ``POST
    /v1/transfers/<id>/reversals`` (``amount``, ``metadata``, ``description``), ``GET
    /v1/transfers/<id>/reversals``, ``GET /v1/balance``.

Behaviour
    * A new account has requested ``transfers`` but it is ``inactive``: ``details_submitted``,
      ``charges_enabled`` and ``payouts_enabled`` are false and ``requirements.currently_due`` lists
      what onboarding asks. A transfer to it is refused (``insufficient_capabilities_for_transfer``)
      as Stripe refuses it.
    * The account link's ``url`` is a page of the fake (``/connect/onboarding/<token>``): visiting it
      completes onboarding (``details_submitted``, ``charges_enabled``, ``payouts_enabled``,
      ``capabilities.transfers=active``, nothing due) and redirects to ``return_url``;
      ``?outcome=restricted`` submits the details but leaves payouts disabled with requirements due.
      A link is single-use and expires after 300 s (fake clock): visiting it again, or late,
      redirects to ``refresh_url`` as Stripe does. Each change sends ``account.updated``.
    * The platform balance is unlimited until a test sets it (``/_fake/balance``); then a transfer
      above the available amount in its currency fails with ``balance_insufficient``. Transfers
      debit it, reversals credit it back.
    * Transfers are synchronous (``transfer.created``); a reversal sends ``transfer.reversed``
      (partial reversals too) with ``amount_reversed``/``reversed`` updated.
    * Events that happen on a connected account (``account.updated``, ``payout.failed``) carry
      ``account: "acct_..."`` and go only to webhook endpoints created with ``connect=true``; the
      platform's own events (``transfer.*``) go only to the other endpoints. Signed as every event.

Test control (``/_fake``)
    ``POST /_fake/accounts/<id>/onboard`` {outcome=complete|restricted} -> the account;
    ``POST /_fake/accounts/<id>/payouts/fail`` {amount?, currency?, failure_code=account_closed}
    -> the failed payout (``payout.failed`` on the connected account);
    ``POST /_fake/balance`` {amount, currency} (``amount=""``: unlimited again) -> the balance.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs

from stripe_fake.api import Api, route
from stripe_fake.errors import StripeError, missing
from stripe_fake.params import as_bool, as_dict, as_int, as_str, check_allowed, metadata_merge, required
from stripe_fake.state import JSON, PREFIXES, State, diff, list_object, new_id

PREFIXES.update(
    {
        "account": "acct",
        "payout": "po",
        "transfer": "tr",
        "transfer_reversal": "trr",
        "payment": "py",
        "bank_account": "ba",
    }
)

LINK_TTL_SECONDS = 300
ONBOARDING_DUE = [
    "business_profile.url",
    "business_type",
    "external_account",
    "individual.dob.day",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
ACCOUNT_TYPES = ("express", "standard", "custom")
BALANCE_ID = "_connect_platform_balance"

CAPABILITY_MISSING = (
    "Your destination account needs to have at least one of the following capabilities enabled: "
    "transfers, crypto_transfers, legacy_payments"
)
BALANCE_INSUFFICIENT = (
    "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
    "available balance by creating Charges using the 4000000000000077 test card. See: "
    "https://stripe.com/docs/testing#available-balance"
)


# -- helpers ----------------------------------------------------------------------------------------


def emit_on_account(
    state: State, event_type: str, obj: JSON, account_id: str, previous: JSON | None = None
) -> JSON:
    """An event that happened on a connected account: Stripe sets ``account`` on it and sends it to
    Connect endpoints only."""
    event = state.emit(event_type, obj, previous)
    event["account"] = account_id
    counter: Any = state.endpoint_count  # the webhook dispatcher's, which knows Connect endpoints
    event["pending_webhooks"] = counter(event_type, account_id)
    return event


def _requirements(due: list[str], disabled_reason: str | None) -> JSON:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def _controller(params: JSON, account_type: str | None) -> tuple[JSON, str]:
    """Stripe's ``controller`` hash and the account ``type`` it amounts to."""
    given = as_dict(params, "controller")
    if given and account_type:
        raise StripeError(
            "You cannot specify both `type` and `controller` when creating an account.", param="controller"
        )
    if account_type:
        if account_type not in ACCOUNT_TYPES:
            raise StripeError(
                f"Invalid type: must be one of {', '.join(ACCOUNT_TYPES)}",
                param="type",
                code="parameter_invalid",
            )
        dashboard = {"express": "express", "standard": "full", "custom": "none"}[account_type]
        return (
            {
                "fees": {"payer": "application" if account_type != "standard" else "account"},
                "is_controller": True,
                "losses": {"payments": "application" if account_type != "standard" else "stripe"},
                "requirement_collection": "stripe" if account_type != "custom" else "application",
                "stripe_dashboard": {"type": dashboard},
                "type": "application",
            },
            account_type,
        )
    dashboard = str((given.get("stripe_dashboard") or {}).get("type") or "full")
    if dashboard not in ("express", "full", "none"):
        raise StripeError("Invalid stripe_dashboard type", param="controller[stripe_dashboard][type]")
    return (
        {
            "fees": {"payer": str((given.get("fees") or {}).get("payer") or "account")},
            "is_controller": True,
            "losses": {"payments": str((given.get("losses") or {}).get("payments") or "stripe")},
            "requirement_collection": str(given.get("requirement_collection") or "stripe"),
            "stripe_dashboard": {"type": dashboard},
            "type": "application",
        },
        {"express": "express", "full": "standard", "none": "custom"}[dashboard],
    )


def account_create(state: State, params: JSON) -> JSON:
    check_allowed(
        params,
        {
            "type",
            "controller",
            "country",
            "email",
            "capabilities",
            "business_type",
            "business_profile",
            "metadata",
            "default_currency",
            "settings",
            "tos_acceptance",
        },
    )
    controller, account_type = _controller(params, as_str(params, "type"))
    country = (as_str(params, "country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise StripeError(
            f"Country '{country}' is unknown. Try using a 2-character alphanumeric country code "
            "instead, such as 'US', 'EG', or 'GB'.",
            param="country",
        )
    capabilities: JSON = {}
    for name, options in as_dict(params, "capabilities").items():
        if not isinstance(options, dict):
            raise StripeError("Invalid object", param=f"capabilities[{name}]")
        if as_bool(options, "requested", f"capabilities[{name}][requested]"):
            capabilities[str(name)] = "inactive"
    business_type = as_str(params, "business_type")
    if business_type not in (None, "individual", "company", "non_profit", "government_entity"):
        raise StripeError(f"Invalid business_type: {business_type}", param="business_type")
    profile = as_dict(params, "business_profile")
    currency = (
        as_str(params, "default_currency") or {"US": "usd", "GB": "gbp", "MA": "mad"}.get(country, "eur")
    ).lower()
    account = state.base(
        "account",
        business_profile={
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": profile.get("mcc"),
            "name": profile.get("name"),
            "product_description": profile.get("product_description"),
            "support_address": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": profile.get("url"),
        },
        business_type=business_type,
        capabilities=capabilities,
        charges_enabled=False,
        controller=controller,
        country=country,
        default_currency=currency,
        details_submitted=False,
        email=as_str(params, "email"),
        future_requirements=_requirements([], None),
        metadata=metadata_merge({}, params.get("metadata")),
        payouts_enabled=False,
        requirements=_requirements(ONBOARDING_DUE, "requirements.past_due"),
        settings={
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            }
        },
        tos_acceptance={"date": None, "ip": None, "user_agent": None},
        type=account_type,
        _balance={},
    )
    account["external_accounts"] = list_object([], f"/v1/accounts/{account['id']}/external_accounts")
    account["external_accounts"]["total_count"] = 0
    state.add(account)
    return account


def account_update(state: State, account: JSON, params: JSON) -> JSON:
    check_allowed(params, {"email", "metadata", "business_profile"})
    before = state.snapshot(account)
    if "email" in params:
        account["email"] = as_str(params, "email")
    account["metadata"] = metadata_merge(account["metadata"], params.get("metadata"))
    for key, value in as_dict(params, "business_profile").items():
        if key in account["business_profile"]:
            account["business_profile"][key] = value
    _changed(state, account, before)
    return account


def _changed(state: State, account: JSON, before: JSON) -> None:
    previous = diff(before, state.render(account))
    if previous:
        emit_on_account(state, "account.updated", account, account["id"], previous)


def account_onboard(state: State, account: JSON, outcome: str = "complete") -> JSON:
    """What finishing the hosted onboarding does (or, ``restricted``, submitting details that
    Stripe cannot verify: payouts stay disabled)."""
    if outcome not in ("complete", "restricted"):
        raise StripeError("outcome must be complete or restricted", param="outcome")
    before = state.snapshot(account)
    account["details_submitted"] = True
    account["tos_acceptance"] = {"date": state.now(), "ip": "127.0.0.1", "user_agent": "stripe-fake"}
    if account["business_type"] is None:
        account["business_type"] = "individual"
    if outcome == "complete":
        account["charges_enabled"] = True
        account["payouts_enabled"] = True
        account["capabilities"] = {name: "active" for name in account["capabilities"]} or {
            "transfers": "active"
        }
        account["requirements"] = _requirements([], None)
        if not account["external_accounts"]["data"]:
            bank = {
                "id": new_id("bank_account"),
                "object": "bank_account",
                "account": account["id"],
                "account_holder_name": None,
                "bank_name": "STRIPE TEST BANK",
                "country": account["country"],
                "currency": account["default_currency"],
                "default_for_currency": True,
                "last4": "6789",
                "status": "new",
            }
            account["external_accounts"]["data"] = [bank]
            account["external_accounts"]["total_count"] = 1
    else:
        account["charges_enabled"] = False
        account["payouts_enabled"] = False
        account["capabilities"] = {name: "inactive" for name in account["capabilities"]}
        due = ["individual.verification.document"]
        account["requirements"] = {
            **_requirements(due, "requirements.pending_verification"),
            "past_due": [],
            "eventually_due": due,
        }
    _changed(state, account, before)
    return account


def account_link_create(state: State, params: JSON) -> JSON:
    check_allowed(params, {"account", "refresh_url", "return_url", "type", "collect", "collection_options"})
    account_id = str(required(params, "account"))
    account = state.objects.get(account_id)
    if account is None or account.get("object") != "account":
        raise missing("account", account_id, "account")
    link_type = str(required(params, "type"))
    if link_type not in ("account_onboarding", "account_update"):
        raise StripeError(
            f"Invalid type: must be one of account_onboarding, account_update (got {link_type})", param="type"
        )
    urls = {}
    for key in ("refresh_url", "return_url"):
        value = str(required(params, key))
        if not value.startswith(("http://", "https://")):
            raise StripeError("Not a valid URL", param=key, code="url_invalid")
        urls[key] = value
    now = state.now()
    token = secrets.token_urlsafe(18)
    link = {
        "id": "_link_" + token,
        "object": "_account_link",
        "account": account_id,
        "expires_at": now + LINK_TTL_SECONDS,
        "used": False,
        **urls,
    }
    state.add(link)
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + LINK_TTL_SECONDS,
        "url": f"{state.base_url}/connect/onboarding/{token}",
    }


def onboarding_visit(state: State, token: str, outcome: str) -> str | None:
    """A browser opening the link: the address to redirect to (None: no such link)."""
    link = state.objects.get("_link_" + token)
    if link is None:
        return None
    if link["used"] or state.now() > link["expires_at"]:
        return str(link["refresh_url"])
    link["used"] = True
    account_onboard(state, state.get("account", link["account"]), outcome)
    return str(link["return_url"])


# -- the platform balance ---------------------------------------------------------------------------


def _balances(state: State) -> dict[str, int]:
    holder = state.objects.get(BALANCE_ID)
    if holder is None:
        holder = {"id": BALANCE_ID, "object": "_balance", "available": {}}
        state.objects[BALANCE_ID] = holder
    available: dict[str, int] = holder["available"]
    return available


def balance_set(state: State, params: JSON) -> JSON:
    check_allowed(params, {"amount", "currency"})
    currency = str(required(params, "currency")).lower()
    amount = as_int(params, "amount", minimum=0)
    balances = _balances(state)
    if amount is None:
        balances.pop(currency, None)
    else:
        balances[currency] = amount
    return balance_render(state)


def balance_render(state: State) -> JSON:
    balances = _balances(state)
    return {
        "object": "balance",
        "available": [
            {"amount": amount, "currency": currency, "source_types": {"card": amount}}
            for currency, amount in sorted(balances.items())
        ],
        "connect_reserved": [{"amount": 0, "currency": currency} for currency in sorted(balances)],
        "livemode": False,
        "pending": [
            {"amount": 0, "currency": currency, "source_types": {"card": 0}} for currency in sorted(balances)
        ],
    }


def _balance_move(state: State, currency: str, amount: int) -> None:
    balances = _balances(state)
    if currency in balances:
        balances[currency] += amount


# -- transfers --------------------------------------------------------------------------------------


def _balance_transaction(state: State, amount: int, currency: str, kind: str, source: str) -> str:
    txn = state.base(
        "balance_transaction",
        amount=amount,
        available_on=state.now(),
        currency=currency,
        description=None,
        fee=0,
        fee_details=[],
        net=amount,
        reporting_category=kind,
        source=source,
        status="available",
        type=kind,
    )
    state.add(txn)
    return str(txn["id"])


def transfer_create(state: State, params: JSON) -> JSON:
    check_allowed(
        params,
        {
            "amount",
            "currency",
            "destination",
            "transfer_group",
            "metadata",
            "description",
            "source_transaction",
            "source_type",
        },
    )
    amount = as_int(params, "amount", minimum=1)
    if amount is None:
        raise StripeError("Missing required param: amount.", code="parameter_missing", param="amount")
    currency = str(required(params, "currency")).lower()
    destination = str(required(params, "destination"))
    account = state.objects.get(destination)
    if account is None or account.get("object") != "account":
        raise StripeError(
            f"No such destination: '{destination}'", status=400, code="resource_missing", param="destination"
        )
    if account["capabilities"].get("transfers") != "active":
        raise StripeError(
            CAPABILITY_MISSING, code="insufficient_capabilities_for_transfer", param="destination"
        )
    balances = _balances(state)
    if currency in balances and balances[currency] < amount:
        raise StripeError(BALANCE_INSUFFICIENT, code="balance_insufficient")
    transfer = state.base(
        "transfer",
        amount=amount,
        amount_reversed=0,
        currency=currency,
        description=as_str(params, "description"),
        destination=destination,
        destination_payment=new_id("payment"),
        metadata=metadata_merge({}, params.get("metadata")),
        reversed=False,
        source_transaction=as_str(params, "source_transaction"),
        source_type=as_str(params, "source_type") or "card",
        transfer_group=as_str(params, "transfer_group"),
    )
    transfer["balance_transaction"] = _balance_transaction(
        state, -amount, currency, "transfer", transfer["id"]
    )
    transfer["reversals"] = list_object([], f"/v1/transfers/{transfer['id']}/reversals")
    transfer["reversals"]["total_count"] = 0
    state.add(transfer)
    _balance_move(state, currency, -amount)
    held = account["_balance"]
    held[currency] = held.get(currency, 0) + amount
    state.emit("transfer.created", transfer)
    return transfer


def transfer_list(state: State, params: JSON) -> JSON:
    check_allowed(
        params, {"destination", "transfer_group", "limit", "starting_after", "ending_before", "created"}
    )
    limit = as_int(params, "limit", minimum=1) or 10
    found = [
        state.render(transfer)
        for transfer in state.all("transfer")
        if (not params.get("destination") or transfer["destination"] == params["destination"])
        and (not params.get("transfer_group") or transfer["transfer_group"] == params["transfer_group"])
    ]
    after = as_str(params, "starting_after")
    if after:
        ids = [t["id"] for t in found]
        found = found[ids.index(after) + 1 :] if after in ids else []
    return list_object(found[:limit], "/v1/transfers", has_more=len(found) > limit)


def reversal_create(state: State, transfer: JSON, params: JSON) -> JSON:
    check_allowed(params, {"amount", "description", "metadata", "refund_application_fee"})
    remaining = transfer["amount"] - transfer["amount_reversed"]
    amount = as_int(params, "amount", minimum=1)
    if remaining <= 0:
        raise StripeError(
            f"Transfer {transfer['id']} has already been reversed.", code="transfer_already_reversed"
        )
    if amount is None:
        amount = remaining
    if amount > remaining:
        raise StripeError(
            f"Reversal amount ({amount}) is greater than the amount remaining on the transfer ({remaining}).",
            param="amount",
        )
    reversal = state.base(
        "transfer_reversal",
        amount=amount,
        currency=transfer["currency"],
        destination_payment_refund=new_id("payment").replace("py_", "pyr_"),
        metadata=metadata_merge({}, params.get("metadata")),
        source_refund=None,
        transfer=transfer["id"],
    )
    reversal["balance_transaction"] = _balance_transaction(
        state, amount, transfer["currency"], "transfer_refund", reversal["id"]
    )
    state.add(reversal)
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    transfer["reversals"]["data"].insert(0, reversal)
    transfer["reversals"]["total_count"] += 1
    _balance_move(state, transfer["currency"], amount)
    account = state.objects.get(transfer["destination"])
    if account is not None:
        account["_balance"][transfer["currency"]] = account["_balance"].get(transfer["currency"], 0) - amount
    state.emit("transfer.reversed", transfer, {"amount_reversed": transfer["amount_reversed"] - amount})
    return reversal


# -- connected-account payouts ----------------------------------------------------------------------


def payout_fail(state: State, account: JSON, params: JSON) -> JSON:
    """The connected account's automatic payout to its bank fails (closed account, wrong
    details...): the money stays in its Stripe balance; ``payout.failed`` on the account."""
    check_allowed(params, {"amount", "currency", "failure_code", "failure_message"})
    currency = (as_str(params, "currency") or account["default_currency"]).lower()
    amount = as_int(params, "amount", minimum=1) or max(account["_balance"].get(currency, 0), 1)
    code = as_str(params, "failure_code") or "account_closed"
    messages = {
        "account_closed": "The bank account has been closed.",
        "no_account": "The bank account details on file are probably incorrect. No bank account could be "
        "located with those details.",
        "account_frozen": "The bank account has been frozen.",
        "invalid_account_number": "The routing number seems correct, but the account number is invalid.",
        "could_not_process": "The bank could not process this payout.",
    }
    bank = (account["external_accounts"]["data"] or [{"id": None}])[0]["id"]
    now = state.now()
    payout = state.base(
        "payout",
        amount=amount,
        application_fee=None,
        application_fee_amount=None,
        arrival_date=now + 2 * 86400,
        automatic=True,
        balance_transaction=None,
        currency=currency,
        description="STRIPE PAYOUT",
        destination=bank,
        failure_balance_transaction=None,
        failure_code=code,
        failure_message=as_str(params, "failure_message") or messages.get(code, "The payout failed."),
        metadata={},
        method="standard",
        original_payout=None,
        payout_method=None,
        reconciliation_status="completed",
        reversed_by=None,
        source_type="card",
        statement_descriptor=None,
        status="failed",
        trace_id={"status": "unsupported", "value": None},
        type="bank_account",
        _account=account["id"],
    )
    state.add(payout)
    emit_on_account(state, "payout.failed", payout, account["id"])
    return payout


# -- routes -----------------------------------------------------------------------------------------


@route("POST", "/v1/accounts")
def _account_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(account_create(api.state, params), expand)


@route("GET", "/v1/accounts/{id}")
def _account_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, set())
    return api.render(api.get("account", m[1]), expand)


@route("POST", "/v1/accounts/{id}")
def _account_update(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(account_update(api.state, api.get("account", m[1]), params), expand)


@route("POST", "/v1/account_links")
def _account_link_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return account_link_create(api.state, params)


@route("POST", "/v1/transfers")
def _transfer_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(transfer_create(api.state, params), expand)


@route("GET", "/v1/transfers")
def _transfer_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return transfer_list(api.state, params)


@route("GET", "/v1/transfers/{id}")
def _transfer_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, set())
    return api.render(api.get("transfer", m[1]), expand)


@route("POST", "/v1/transfers/{id}/reversals")
def _reversal_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(reversal_create(api.state, api.get("transfer", m[1]), params), expand)


@route("GET", "/v1/transfers/{id}/reversals")
def _reversal_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    transfer = api.state.render(api.get("transfer", m[1]))
    return dict(transfer["reversals"])


@route("GET", "/v1/balance")
def _balance(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, set())
    return balance_render(api.state)


@route("GET", "/v1/payouts/{id}")
def _payout_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    """A payout lives on its connected account: Stripe finds it only for a request made on that
    account (``Stripe-Account``), and answers ``resource_missing`` otherwise."""
    check_allowed(params, set())
    payout = api.state.objects.get(m[1])
    if (
        payout is None
        or payout.get("object") != "payout"
        or payout.get("_account") != api.state.context.account
    ):
        raise missing("payout", m[1])
    return api.render(payout, expand)


@route("POST", "/_fake/accounts/{id}/onboard")
def _fake_onboard(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"outcome"})
    account = api.get("account", m[1])
    return api.render(account_onboard(api.state, account, as_str(params, "outcome") or "complete"), expand)


@route("POST", "/_fake/accounts/{id}/payouts/fail")
def _fake_payout_fail(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(payout_fail(api.state, api.get("account", m[1]), params), expand)


@route("POST", "/_fake/balance")
def _fake_balance(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return balance_set(api.state, params)


# -- the onboarding page ----------------------------------------------------------------------------


def browser_onboarding(fake: Any, path: str, query: str) -> str | None:
    """``GET /connect/onboarding/<token>``: the redirect location, or None if not such a page."""
    parts = [p for p in path.split("/") if p]
    if len(parts) != 3 or parts[:2] != ["connect", "onboarding"]:
        return None
    outcome = (parse_qs(query).get("outcome") or ["complete"])[0]
    state = fake.state
    with state.request(None, None):
        with state.lock:
            try:
                location = onboarding_visit(state, parts[2], outcome)
            except StripeError:
                location = None
        events = state.drain_outbox()
    fake.webhooks.dispatch(events)
    return location or ""
