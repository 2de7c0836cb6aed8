"""URLs of a brand's host."""

from django.urls import path

from affiliation.views import link_qr_png_view, link_qr_svg_view, postback_view
from graphql_schema.views import graphql_view

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("postback/", postback_view, name="postback"),
    path("links/<str:code>/qr.svg", link_qr_svg_view, name="link-qr-svg"),
    path("links/<str:code>/qr.png", link_qr_png_view, name="link-qr-png"),
]
