"""A local, stateful fake of the Stripe API for tests and for ``make run`` without a Stripe key.

The official SDK talks to it unchanged::

    client = stripe.StripeClient("sk_test_anything", base_addresses={"api": "http://127.0.0.1:12111"})

Run it: ``python -m stripe_fake --port 12111 --webhook-url http://127.0.0.1:8000/... --webhook-secret
whsec_...`` (``--frozen-time``: time moves only when advanced; ``--async-webhooks --shuffle
--duplicates 0.1 --seed N``: delivery as Stripe's; ``--dunning-retry-days 3,5,7``,
``--dunning-final-action unpaid|canceled``; ``--portal-configuration``: a default portal
configuration exists). In tests: the ``fake_stripe`` fixture of ``tests/stripe_fixtures.py``. In
code: ``FakeStripeServer(port=0, frozen_time=True).start()``.

What it serves (``/v1``, form-encoded like Stripe, JSON answers, Stripe's error shape)
    customers (create, retrieve, update, delete, list by ``email``, search), products, prices
    (``lookup_key`` with ``transfer_lookup_key``, ``recurring``, inline ``price_data`` in
    subscription and checkout items), subscriptions (create with ``trial_period_days``/``trial_end``,
    update ``items`` with ``proration_behavior`` ``create_prorations``/``always_invoice``/``none``,
    ``cancel_at_period_end``, ``cancel_at``, ``trial_end=now``, ``billing_cycle_anchor=now``;
    cancel with DELETE; list by ``customer``/``status``/``price``; search), subscription items,
    invoices (list, retrieve, ``/lines``, ``/pay``, search), invoice payments, invoice items,
    checkout sessions (create, retrieve, list, ``/line_items``, ``/expire``), billing portal sessions
    and configurations, payment methods (create from test card numbers, attach, detach, list),
    payment intents, charges, refunds, events (retrieve, list by ``type``/``types``/``created``),
    webhook endpoints. ``expand`` works on id fields at any depth (``latest_invoice``,
    ``data.customer``, ``items.data.price.product``) and on Stripe's includable fields
    (``checkout.session.line_items``, ``invoice.payments``). Unknown parameters are refused with
    ``parameter_unknown`` as Stripe does, and so are list filters the fake does not implement;
    parameters that would change amounts it does not compute (``discounts``, ``automatic_tax``,
    ``default_tax_rates``, ``add_invoice_items``, item ``tax_rates``...) are refused by name rather
    than silently ignored. Other options it does not model are accepted and ignored.

Object shapes follow API version ``2026-10-28.endive`` (what SDK 16.1.0 pins): invoices name their
subscription in ``parent.subscription_details`` and their payments in ``payments`` (expand it, or list
``/v1/invoice_payments?invoice=``); line items carry ``parent.subscription_item_details.proration``
and ``pricing.price_details``; subscription items carry ``current_period_start/end``. None of the
fields ``2025-03-31.basil`` removed appears (``invoice.subscription``, ``subscription_details``,
``subscription.current_period_*``, ``plan``, ``quantity``, line ``price``/``proration``/``type``,
``total_count``); a webhook endpoint created with an older ``api_version`` gets its events in that
version's shape (:mod:`stripe_fake.versions`).

Behaviour worth knowing
    * Money is integer minor units. Prorations are computed to the second and rounded half-up per
      line (see :mod:`stripe_fake.billing`). ``create_prorations`` leaves pending invoice items for
      the next renewal; ``always_invoice`` bills them at once (``billing_reason=subscription_update``);
      a change of interval starts a new period now and bills it at once. A negative invoice total
      becomes customer credit (``customer.balance``) applied to the next invoice.
    * A subscription's first invoice is finalized and paid at once; renewal invoices stay
      ``draft`` an hour, then are finalized and charged. A charge uses the subscription's or the
      customer's default payment method with its test card's behaviour (:mod:`stripe_fake.
      payment_methods`); no payment method, a declining card or ``fail_next_payment``: the invoice
      stays ``open``, ``invoice.payment_failed`` is sent and the subscription goes ``past_due``
      (``incomplete`` on creation, ``incomplete_expired`` 23 hours later); renewals are retried per
      ``dunning_retry_days`` and end ``unpaid`` or ``canceled`` (``dunning_final_action``);
      ``POST /v1/invoices/<id>/pay`` pays (``active`` again). Settings: ``/_fake/settings``.
    * Subscriptions created through the API emit ``customer.subscription.created`` (``trialing``, or
      ``incomplete`` until the first invoice is paid) then ``customer.subscription.updated``
      (``active``). With ``payment_behavior=default_incomplete`` the first invoice stays open with a
      ``confirmation_secret`` until ``POST /v1/invoices/<id>/pay``. Checkout completion emits
      customer, subscription and invoice events, then ``checkout.session.completed``.
    * Events caused by test control or the clock carry ``request.id = null``, as Stripe's automatic
      events do. Deleting a customer cancels its subscriptions.
    * Time: each customer has its own clock offset, so one test advancing its customer does not
      renew anyone else's subscriptions; advancing with no customer moves everybody. Transitions run
      in time order: ``customer.subscription.trial_will_end`` three days before a trial ends, trial
      end (``trialing`` -> ``active`` with a paid ``subscription_cycle`` invoice), renewals, the end
      of ``cancel_at_period_end`` subscriptions (``customer.subscription.deleted``), payment
      retries, incomplete expiry, delayed Checkout payments settling.
    * Webhooks: see :mod:`stripe_fake.webhooks` (sync or async with shuffling, duplicates and
      retries on the clock; signed, recorded, pausable; rendered in the endpoint's version).
    * Checkout: endive's ``ui_mode`` values, the 30 min - 24 h ``expires_at`` window, delayed
      methods (``sepa_debit``...) with ``checkout.session.async_payment_succeeded``/``_failed``.
    * Connect (Express accounts, onboarding links, transfers, reversals, connected-account
      payouts that fail, Connect webhook endpoints): see :mod:`stripe_fake.connect`.
    * Not modelled: taxes, coupons and discounts, quantities in tiers, metered usage,
      subscription schedules, invoice previews, setup mode.

Test control (``/_fake``, JSON or form bodies, no key)
    ``POST /_fake/reset`` {endpoints?}; ``GET /_fake/clock`` {customer?};
    ``POST /_fake/clock/advance`` {seconds?, days?, to?, customer?} -> {now, events};
    ``POST /_fake/customers/<id>/fail_next_payment`` {count=1, decline_code=card_declined};
    ``POST /_fake/checkout/sessions/<id>/complete`` {email?, name?, payment_method?,
    payment_method_type?, async_outcome?} -> the session;
    ``POST /_fake/checkout/sessions/<id>/settle`` {outcome?};
    ``GET|POST /_fake/settings`` {dunning_retry_days[], dunning_final_action, renewal_finalize_delay,
    incomplete_expiry, async_payment_delay, async_payment_outcome, reset};
    ``POST /_fake/webhooks/mode`` {mode, shuffle, window, duplicate_rate, seed, retry_schedule[]};
    ``POST /_fake/webhooks/wait_idle`` {timeout}; ``GET /_fake/webhooks/queue``;
    ``POST /_fake/webhooks/pause``; ``GET /_fake/webhooks/held``;
    ``POST /_fake/webhooks/release`` {order=recorded|reversed, event_ids?, resume=true, discard=false};
    ``POST /_fake/events/<id>/redeliver`` {endpoint?, signature=valid};
    ``POST /_fake/webhooks/send`` {payload, endpoint?, signature=invalid|valid|missing|stale};
    ``GET /_fake/deliveries`` {event?}; ``GET /_fake/webhook_endpoints/<id>/secret``.

Browser pages: ``/checkout/<id>`` (button ``#pay`` completes the session and redirects to
``success_url``), ``/portal/<id>`` (cancel or renew at period end, ``#return``), ``/invoice/<id>``
(``#pay-invoice``), ``/invoice/<id>/pdf``, ``/receipts/<charge id>``.
"""

from stripe_fake.server import FakeStripeServer
from stripe_fake.webhooks import sign

__all__ = ["FakeStripeServer", "sign"]
