"""URLs of a brand's host."""

from django.urls import include, path, re_path

from accounts.audit_export import audit_export_csv_view
from affiliation.views import link_qr_png_view, link_qr_svg_view, postback_view
from config.urls_dev import dev_urlpatterns
from core.csp_report import csp_report_view
from graphql_schema.views import graphql_view
from kyc.views import document_view as kyc_document_view
from marketplace.views import product_image_og_view, product_image_view, robots_view, sitemap_view
from notifications.views import telegram_webhook_view
from payments.views import invoice_pdf_view
from privacy.views import export_zip_view
from statements.views import statement_file_view

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("csp-report/", csp_report_view, name="csp-report"),
    path("postback/", postback_view, name="postback"),
    # Machine endpoints answer without their trailing slash too: a POST cannot be redirected.
    path("graphql", graphql_view),
    path("postback", postback_view),
    path("notifications/telegram/<int:channel_id>/", telegram_webhook_view, name="telegram-webhook"),
    path("links/<str:code>/qr.svg", link_qr_svg_view, name="link-qr-svg"),
    path("links/<str:code>/qr.png", link_qr_png_view, name="link-qr-png"),
    path("sitemap.xml", sitemap_view, name="sitemap"),
    path("robots.txt", robots_view, name="robots"),
    path("audit/export.csv", audit_export_csv_view, name="audit-export"),
    path("invoices/<str:number>.pdf", invoice_pdf_view, name="invoice-pdf"),
    path("exports/<int:export_id>.zip", export_zip_view, name="privacy-export-zip"),
    path("kyc/documents/<int:document_id>", kyc_document_view, name="kyc-document"),
    path("statements/<str:document>/<int:pk>.<str:extension>", statement_file_view, name="statement-file"),
    re_path(r"^media/(?P<key>.+_og\.jpg)$", product_image_og_view, name="product-image-og"),
    path("media/<path:key>", product_image_view, name="product-image"),
    path("", include("analytics.urls")),
    # The local mail inbox of `make run` (404 unless DEV_MAIL_DIR is set: local settings only).
    *dev_urlpatterns,
    # The web app: every other path (keep it last).
    path("", include("webapp.urls")),
]
