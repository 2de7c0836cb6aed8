"""The Stripe webhook endpoint, on the root domain only.

The platform has one Stripe account, so one endpoint: ``https://<root domain>/stripe/webhook/``.
Brand hosts do not serve it: the brand of an event is read from the objects it is about
(``tenants.StripeObjectRoute``), never from the host it was sent to, so a second path would add
nothing but a place to misconfigure.

It is a sync view: routing reads the public schema and applying runs in the brand's with
``call_in_public`` / ``call_in_tenant`` (what ``run_in_public`` / ``run_in_tenant`` wrap for async
code), each leaving the connection on public.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.webhooks import RetryLaterError, WebhookRejectedError, webhook_receive

logger = logging.getLogger("billing.webhooks")

MAX_BODY_BYTES = 1024 * 1024  # Stripe's events are far smaller; anything bigger is not one


@csrf_exempt  # Stripe's signature authenticates the request, not a cookie
@require_POST
def stripe_webhook_view(request: HttpRequest) -> HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        logger.warning("stripe webhook rejected: body of %s bytes", declared)
        return JsonResponse({"error": "payload too large"}, status=413)
    payload = request.body
    signature = request.headers.get("Stripe-Signature", "")
    try:
        result = webhook_receive(payload, signature)
    except WebhookRejectedError as error:
        logger.warning("stripe webhook rejected: %s", error)
        return JsonResponse({"error": "invalid webhook"}, status=400)
    except RetryLaterError as error:
        logger.warning("stripe webhook not applied, Stripe will retry: %s", error)
        return JsonResponse({"error": "retry later"}, status=503)
    return JsonResponse({"received": True, "status": result.status})
