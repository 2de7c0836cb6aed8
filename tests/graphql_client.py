"""A small GraphQL client over Django's test client, for one brand's host."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


class GraphQLClient:
    def __init__(self, client: Client, *, host: str) -> None:
        self.client = client
        self.host = host

    def post(self, query: str, variables: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            HTTP_HOST=self.host,
            **headers,
        )

    def execute(self, query: str, variables: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
        """Run an operation that must succeed at the HTTP level; return the whole JSON body."""
        response = self.post(query, variables, **headers)
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
        """Run an operation that must have no top-level errors; return its data."""
        body = self.execute(query, variables, **headers)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data
