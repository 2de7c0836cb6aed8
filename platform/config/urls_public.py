"""URLs of the root domain: the operator console API."""

from django.urls import include, path

from accounts.audit_export import audit_export_csv_view
from config.urls_dev import dev_urlpatterns
from core.csp_report import csp_report_view
from graphql_schema.views import graphql_view
from payments.views import stripe_webhook_view
from payouts.views import paypal_webhook_view

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("audit/export.csv", audit_export_csv_view, name="audit-export"),
    path("csp-report/", csp_report_view, name="csp-report"),
    path("stripe/webhook/", stripe_webhook_view, name="stripe-webhook"),
    path("paypal/webhook/", paypal_webhook_view, name="paypal-webhook"),
    # Machine endpoints answer without their trailing slash too: a POST cannot be redirected.
    path("graphql", graphql_view),
    path("stripe/webhook", stripe_webhook_view),
    path("paypal/webhook", paypal_webhook_view),
    # The local mail inbox of `make run` (404 unless DEV_MAIL_DIR is set: local settings only).
    *dev_urlpatterns,
    # The web app: every other path (keep it last).
    path("", include("webapp.urls")),
]
