"""The web app on every host: a brand's pages on its own domain, the operator console on the
root domain. Every path the API and the click lane do not claim gets the app's index.html,
and the app's router takes it from there."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe
from django_tenants.utils import get_public_schema_name

from graphql_schema.context import GraphQLContext
from graphql_schema.schema import schema
from themes import DEFAULT_THEME, brand_theme, get_theme
from webapp.head import PageHead, brand_page_head, head_html, prerender_html
from webapp.pages import PageContext, built_app, render_index

logger = logging.getLogger(__name__)

NOT_BUILT = (
    "<!doctype html><meta charset=utf-8><title>Web app not built</title>"
    "<p>The web app is not built yet. Run <code>make assets</code> "
    "(or <code>npm run build</code> in <code>frontend/</code>).</p>"
)


def _boot_data(request: HttpRequest, document: str) -> dict[str, Any] | None:
    """The boot document's result for this visitor, exactly as /graphql/ would answer it."""
    context = GraphQLContext(
        tenant=request.tenant,  # type: ignore[attr-defined]
        user=request.user,
        request=request,
        response=HttpResponse(),
    )
    result = schema.execute_sync(document, context_value=context, operation_name="Boot")
    if result.errors:
        # The app then asks for the same data itself; the page still renders.
        logger.error("boot document failed: %s", "; ".join(str(error) for error in result.errors))
        return None
    return {"data": result.data}


@require_safe
def app_view(request: HttpRequest) -> HttpResponse:
    app = built_app()
    if app is None:
        return HttpResponse(NOT_BUILT, status=503)
    tenant = request.tenant  # type: ignore[attr-defined]
    is_root = tenant.schema_name == get_public_schema_name()
    # The brand's URLs (canonical, images, boot data) all start from its domains: one query.
    prefetch_related_objects([tenant], "domains")
    nonce = str(request.csp_nonce)  # type: ignore[attr-defined]
    language = settings.LANGUAGE_CODE if is_root else tenant.language
    if is_root:
        head = PageHead(title="Platform console")  # the operator's console: noindex
        site_name = head.title
    else:
        head = brand_page_head(request, tenant)
        site_name = tenant.name
    page = PageContext(
        language=language,
        host_kind="root" if is_root else "brand",
        title=head.title,
        tokens=get_theme(DEFAULT_THEME) if is_root else brand_theme(tenant),
        boot=_boot_data(request, app.boot_document),
        nonce=nonce,
        head=head_html(head, language=language, site_name=site_name, nonce=nonce),
        root="" if is_root else prerender_html(head, tenant=tenant),
    )
    get_token(request)  # the CSRF cookie, for the app's POSTs to /graphql/
    # An unknown deal or category: the app still shows its "not found", with the status to match.
    response = HttpResponse(render_index(app.index_html, page), status=head.status)
    # Per visitor (the signed-in user is inlined): never shared, always revalidated.
    patch_cache_control(response, no_cache=True, private=True)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_safe
@ensure_csrf_cookie
def csrf_view(request: HttpRequest) -> HttpResponse:
    """Sets the CSRF cookie, for pages not rendered by Django (Vite's dev server)."""
    return HttpResponse(status=204)
