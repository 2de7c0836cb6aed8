"""A KYC document, opened by a reviewer's signed link on the brand's host. The token must be this
brand's signature for this document and this viewer (a brand-A link on brand B's host, a link
for another document or handed to someone else answers 404, as a forged one); the viewer must be
signed in and still a reviewer (brand admin) or the document's owner. An expired link answers
403 so the app asks for a fresh one."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from accounts.models import Role
from core.private_files import SignedLinkExpiredError, SignedLinkInvalidError
from kyc.links import document_link_check
from kyc.models import KycDocument


@require_safe
def document_view(request: HttpRequest, document_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    user = request.user
    if not user.is_authenticated:
        raise Http404("No such document.")
    try:
        document_link_check(
            token=request.GET.get("token", ""),
            document_id=document_id,
            schema_name=tenant.schema_name,
            user_id=user.pk,
        )
        expired = False
    except SignedLinkInvalidError:
        raise Http404("No such document.") from None
    except SignedLinkExpiredError:
        expired = True
    document = KycDocument.objects.select_related("profile").filter(pk=document_id).first()
    allowed = document is not None and (
        getattr(user, "role", "") == Role.BRAND_ADMIN or document.profile.user_id == user.pk
    )
    if not allowed or document is None or not default_storage.exists(document.file_key):
        raise Http404("No such document.")
    if expired:
        return JsonResponse({"error": "This link has expired: ask for a fresh one."}, status=403)
    with default_storage.open(document.file_key, "rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=document.content_type)
    extension = document.file_key.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'inline; filename="{document.kind}-{document.pk}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
