"""The Stripe webhook endpoint (root domain only) and, on brand hosts, invoice PDFs kept on local
disk (development).

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

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from payments.selectors import invoice_visible_to
from payments.services.invoices import InvoiceLinkExpiredError, InvoiceLinkInvalidError, invoice_link_check
from payments.webhooks import RetryLaterError, WebhookRejectedError, webhook_receive

logger = logging.getLogger("payments.webhooks")

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


@require_safe
def invoice_pdf_view(request: HttpRequest, number: str) -> HttpResponse:
    """``/invoices/<number>.pdf?token=…`` on a brand's host: what ``downloadUrl`` is when files
    live on local disk. Like a presigned S3 link it is signed for one invoice of one brand and
    expires; on top of that the visitor must be signed in as the invoice's customer or a brand
    admin. Anything else answers like an invoice that does not exist (404); a genuine link whose
    time is up answers 403, so the app can ask for a fresh one.
    """
    tenant = request.tenant  # type: ignore[attr-defined]
    try:
        invoice_link_check(token=request.GET.get("token", ""), number=number, schema_name=tenant.schema_name)
        expired = False
    except InvoiceLinkInvalidError:
        raise Http404("No such invoice.") from None
    except InvoiceLinkExpiredError:
        expired = True
    user = request.user
    invoice = invoice_visible_to(user, number=number) if user.is_authenticated else None
    if invoice is None or not invoice.pdf_key or not default_storage.exists(invoice.pdf_key):
        raise Http404("No such invoice.")
    if expired:
        return JsonResponse({"error": "This download link has expired: ask for a fresh one."}, status=403)
    with default_storage.open(invoice.pdf_key, "rb") as handle:
        pdf = handle.read()  # a few tens of kB: read at once (a sync file iterator warns under ASGI)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
