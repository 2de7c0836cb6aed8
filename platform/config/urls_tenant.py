"""URLs of a brand's host."""

from django.urls import path

from graphql_schema.views import graphql_view

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
]
