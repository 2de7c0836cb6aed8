"""Data exports kept on local disk (development): what ``downloadUrl`` points at when files do
not live on S3. Signed for one export of one brand and expiring, like a presigned link; the
visitor must also be signed in as the export's owner. Anything else answers 404; a genuine
link whose time is up answers 403, so the app can ask for a fresh one."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from privacy.links import ExportLinkExpiredError, ExportLinkInvalidError, export_link_check
from privacy.models import DataExport, ExportStatus


@require_safe
def export_zip_view(request: HttpRequest, export_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    try:
        export_link_check(
            token=request.GET.get("token", ""), export_id=export_id, schema_name=tenant.schema_name
        )
        expired = False
    except ExportLinkInvalidError:
        raise Http404("No such export.") from None
    except ExportLinkExpiredError:
        expired = True
    user = request.user
    export = (
        DataExport.objects.filter(pk=export_id, user_id=user.pk, status=ExportStatus.READY).first()
        if user.is_authenticated
        else None
    )
    if export is None or not export.file_key or not default_storage.exists(export.file_key):
        raise Http404("No such export.")
    if expired:
        return JsonResponse({"error": "This download link has expired: ask for a fresh one."}, status=403)
    with default_storage.open(export.file_key, "rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="data-export-{export.pk}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
