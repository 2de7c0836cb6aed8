"""Stripe Connect helpers for tests, on top of ``tests.stripe_fixtures`` (the fake's Connect side:
``tools/stripe_fake/connect.py``)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.stripe_fixtures import FakeStripe, WebhookReceiver, receiving_webhooks

CONNECT_WEBHOOK_SECRET = "whsec_fake_connect_tests"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def visit(url: str) -> tuple[int, str]:
    """Open a page of the fake as a browser would, without following the redirect: (status,
    Location)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def onboard(fake: FakeStripe, account_id: str, *, outcome: str = "complete") -> dict[str, Any]:
    """Finish the hosted onboarding of ``account_id`` (``restricted``: payouts stay disabled)."""
    return dict(fake._call("POST", f"/_fake/accounts/{account_id}/onboard", {"outcome": outcome}))


def fail_payout(fake: FakeStripe, account_id: str, **params: Any) -> dict[str, Any]:
    """The connected account's bank payout fails (``payout.failed`` with ``account`` set)."""
    return dict(fake._call("POST", f"/_fake/accounts/{account_id}/payouts/fail", params))


def set_balance(fake: FakeStripe, currency: str, amount: int | None) -> dict[str, Any]:
    """The platform's available balance in ``currency`` (minor units); None: unlimited again."""
    return dict(
        fake._call(
            "POST", "/_fake/balance", {"currency": currency, "amount": "" if amount is None else amount}
        )
    )


@contextmanager
def connect_receiver(fake: FakeStripe) -> Iterator[WebhookReceiver]:
    """A receiver registered as a Connect endpoint (``connect=true``) of ``fake`` while in use."""
    with receiving_webhooks() as receiver:
        endpoint = fake.server.add_webhook_endpoint(receiver.url, connect=True)
        receiver.endpoint_id, receiver.secret = endpoint["id"], endpoint["secret"]
        try:
            yield receiver
        finally:
            fake.remove_webhook_endpoint(receiver.endpoint_id)
