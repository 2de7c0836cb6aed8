"""Analytics URLs of a brand's host (included by config.urls_tenant)."""

from django.urls import path

from analytics.views import collect_view, export_csv_view

urlpatterns = [
    path("a/collect", collect_view, name="analytics-collect"),
    path("a/collect/", collect_view),  # beacons are POSTs: both spellings, no redirect
    path("analytics/export.csv", export_csv_view, name="analytics-export"),
]
