"""The GraphQL operation of an HTTP request, as a bounded metrics label (``core.metrics``).

Clients name their operations freely, so the name is a label only when it is one of the
schema's root fields (queries, mutations, subscriptions), in the web app's spelling
(``MagicLinkRequest``) or the field's own (``magicLinkRequest``); it is recorded in the web
app's spelling. Any other name is ``other``, an unnamed operation ``anonymous``, a request
whose document did not parse ``invalid``. So the label has at most as many values as the
schema has root fields, plus three.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from strawberry.extensions import SchemaExtension

OTHER = "other"
ANONYMOUS = "anonymous"
INVALID = "invalid"


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=4)
def known_operations(graphql_schema: Any) -> frozenset[str]:
    """The root field names of ``graphql_schema`` (graphql-core), in the web app's spelling."""
    names: set[str] = set()
    for root in (graphql_schema.query_type, graphql_schema.mutation_type, graphql_schema.subscription_type):
        if root is not None:
            names.update(_pascal(field) for field in root.fields)
    return frozenset(names)


def operation_label(operation_name: str | None, known: frozenset[str]) -> str:
    if not operation_name:
        return ANONYMOUS
    pascal = _pascal(operation_name)
    return pascal if pascal in known else OTHER


class OperationMetricsLabel(SchemaExtension):
    """Puts the operation's label on the HTTP request (``request.graphql_operation``), for
    ``core.metrics.MetricsMiddleware``. Websocket operations have no request: nothing to do."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if request is None:
            return
        if context.graphql_document is None:
            request.graphql_operation = INVALID
            return
        known = known_operations(context.schema._schema)
        request.graphql_operation = operation_label(context.operation_name, known)
