"""The PayPal webhook endpoint (root domain): ``https://<root domain>/paypal/webhook/``."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payouts.webhooks import PayPalRetryLater, PayPalWebhookRejected, paypal_webhook_receive

logger = logging.getLogger("payouts.webhooks")

MAX_BODY_BYTES = 256 * 1024  # PayPal's events are a few kB


@csrf_exempt  # PayPal's signature (verified by PayPal) authenticates the request, not a cookie
@require_POST
def paypal_webhook_view(request: HttpRequest) -> HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return JsonResponse({"error": "payload too large"}, status=413)
    headers = {name.upper(): value for name, value in request.headers.items()}
    try:
        outcome = paypal_webhook_receive(request.body, headers)
    except PayPalWebhookRejected as error:
        logger.warning("paypal webhook rejected: %s", error)
        return JsonResponse({"error": "invalid webhook"}, status=400)
    except PayPalRetryLater as error:
        logger.warning("paypal webhook not applied, PayPal will retry: %s", error)
        return JsonResponse({"error": "retry later"}, status=503)
    return JsonResponse({"received": True, "status": outcome})
