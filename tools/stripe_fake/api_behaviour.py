"""Routes of payment methods, portal configurations and the behaviour switches of the fake
(settings, webhook delivery mode, delayed Checkout payments). Registered on the shared table of
:mod:`stripe_fake.api` when that module imports this one."""

from __future__ import annotations

import re

from stripe_fake import checkout, payment_methods
from stripe_fake.api import Api, route
from stripe_fake.errors import StripeError
from stripe_fake.params import as_bool, as_int, as_list, as_str, check_allowed
from stripe_fake.state import DEFAULT_SETTINGS, JSON

# -- payment methods ------------------------------------------------------------------------------


@route("POST", "/v1/payment_methods")
def _payment_method_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(payment_methods.payment_method_create(api.state, params), expand)


@route("GET", "/v1/payment_methods")
def _payment_method_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return payment_methods.payment_method_list(api.state, params, expand)


@route("GET", "/v1/payment_methods/{id}")
def _payment_method_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, set())
    return api.render(api.get("payment_method", m[1]), expand)


@route("POST", "/v1/payment_methods/{id}/attach")
def _payment_method_attach(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    method = payment_methods.resolve(api.state, m[1], "payment_method")
    return api.render(payment_methods.payment_method_attach(api.state, method, params), expand)


@route("POST", "/v1/payment_methods/{id}/detach")
def _payment_method_detach(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    method = api.get("payment_method", m[1])
    return api.render(payment_methods.payment_method_detach(api.state, method, params), expand)


@route("GET", "/v1/customers/{id}/payment_methods")
def _customer_payment_methods(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    customer = api.get("customer", m[1])
    return payment_methods.payment_method_list(api.state, params, expand, customer=customer["id"])


# -- billing portal configurations ----------------------------------------------------------------


@route("POST", "/v1/billing_portal/configurations")
def _portal_configuration_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(checkout.portal_configuration_create(api.state, params), expand)


@route("GET", "/v1/billing_portal/configurations")
def _portal_configuration_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return checkout.portal_configuration_list(api.state, params, expand)


@route("GET", "/v1/billing_portal/configurations/{id}")
def _portal_configuration_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, set())
    return api.render(api.get("billing_portal.configuration", m[1]), expand)


# -- /_fake: behaviour switches -------------------------------------------------------------------


@route("GET", "/_fake/settings")
def _settings(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return dict(api.state.settings)


@route("POST", "/_fake/settings")
def _settings_update(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    """Change behaviour settings (see ``state.DEFAULT_SETTINGS``); ``reset=true`` restores them."""
    check_allowed(params, set(DEFAULT_SETTINGS) | {"reset"})
    if as_bool(params, "reset"):
        api.state.settings.update(api.state.initial_settings)
    if "dunning_retry_days" in params:
        days = [int(str(d)) for d in as_list(params, "dunning_retry_days")]
        if any(d < 1 for d in days) or len(days) > 8:
            raise StripeError(
                "dunning_retry_days: up to 8 numbers of days, each >= 1", param="dunning_retry_days"
            )
        api.state.settings["dunning_retry_days"] = days
    action = as_str(params, "dunning_final_action")
    if action is not None:
        if action not in ("unpaid", "canceled"):
            raise StripeError("dunning_final_action must be unpaid or canceled", param="dunning_final_action")
        api.state.settings["dunning_final_action"] = action
    for key in ("renewal_finalize_delay", "incomplete_expiry", "async_payment_delay"):
        value = as_int(params, key, minimum=0)
        if value is not None:
            api.state.settings[key] = value
    outcome = as_str(params, "async_payment_outcome")
    if outcome is not None:
        if outcome not in ("succeeded", "failed"):
            raise StripeError(
                "async_payment_outcome must be succeeded or failed", param="async_payment_outcome"
            )
        api.state.settings["async_payment_outcome"] = outcome
    return dict(api.state.settings)


@route("POST", "/_fake/webhooks/mode", control=True)
def _webhooks_mode(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    """``mode`` sync|async, ``shuffle``, ``window``, ``duplicate_rate`` (0..1), ``seed``,
    ``retry_schedule`` (seconds of the fake's clock before each retry)."""
    check_allowed(params, {"mode", "shuffle", "window", "duplicate_rate", "seed", "retry_schedule"})
    changes: JSON = {}
    mode = as_str(params, "mode")
    if mode is not None:
        if mode not in ("sync", "async"):
            raise StripeError("mode must be sync or async", param="mode")
        changes["asynchronous"] = mode == "async"
    shuffle = as_bool(params, "shuffle")
    if shuffle is not None:
        changes["shuffle"] = shuffle
    window = as_int(params, "window", minimum=1)
    if window is not None:
        changes["window"] = window
    if params.get("duplicate_rate") not in (None, ""):
        try:
            rate = float(str(params["duplicate_rate"]))
        except ValueError:
            rate = -1.0
        if not 0 <= rate <= 1:
            raise StripeError("duplicate_rate must be between 0 and 1", param="duplicate_rate")
        changes["duplicate_rate"] = rate
    if "seed" in params:
        changes["seed"] = as_int(params, "seed")
    if "retry_schedule" in params:
        changes["retry_schedule"] = tuple(int(str(s)) for s in as_list(params, "retry_schedule"))
    return api.webhooks.configure(**changes).public()


@route("POST", "/_fake/webhooks/wait_idle", control=True)
def _webhooks_wait_idle(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"timeout"})
    timeout = float(str(params.get("timeout") or 30))
    idle = api.webhooks.wait_idle(timeout)
    return {"idle": idle, "queued": api.webhooks.queued()}


@route("GET", "/_fake/webhooks/queue", control=True)
def _webhooks_queue(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return {"mode": api.webhooks.mode.public(), "data": api.webhooks.queued()}


@route("POST", "/_fake/checkout/sessions/{id}/settle")
def _checkout_settle(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    """Settle a delayed payment now: ``outcome`` succeeded|failed (default: the session's)."""
    check_allowed(params, {"outcome"})
    session = api.get("checkout.session", m[1])
    return api.render(checkout.checkout_session_settle(api.state, session, as_str(params, "outcome")), expand)
