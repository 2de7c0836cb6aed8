"""Statements and self-billing invoices kept on local disk (development): what download links
point at when files do not live on S3. Signed for one document of one brand and expiring, like
a presigned link; the visitor must also be signed in as its affiliate or a brand admin.
Anything else answers 404; a genuine link whose time is up answers 403."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from statements.links import FORMATS, LinkExpiredError, LinkInvalidError, link_check
from statements.selectors import self_billing_invoices_visible_to, statements_visible_to


@require_safe
def statement_file_view(request: HttpRequest, document: str, pk: int, extension: str) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    if document not in ("statement", "self-billing") or extension not in FORMATS:
        raise Http404("No such document.")
    try:
        link_check(
            token=request.GET.get("token", ""),
            document=document,
            pk=pk,
            extension=extension,
            schema_name=tenant.schema_name,
        )
        expired = False
    except LinkInvalidError:
        raise Http404("No such document.") from None
    except LinkExpiredError:
        expired = True
    key, filename = "", ""
    if document == "statement":
        statement = statements_visible_to(request.user).filter(pk=pk).first()
        if statement is not None:
            key = statement.pdf_key if extension == "pdf" else statement.csv_key
            filename = f"statement-{statement.period:%Y-%m}-{statement.currency}.{extension}"
    elif extension == "pdf":
        invoice = self_billing_invoices_visible_to(request.user).filter(pk=pk).first()
        if invoice is not None:
            key, filename = invoice.pdf_key, f"{invoice.number}.pdf"
    if not key or not default_storage.exists(key):
        raise Http404("No such document.")
    if expired:
        return JsonResponse({"error": "This download link has expired: ask for a fresh one."}, status=403)
    with default_storage.open(key, "rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=FORMATS[extension])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
