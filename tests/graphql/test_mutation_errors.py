"""Every mutation of the schema whose payload carries ``errors: [UserError!]!`` goes through the
one mutation error path (graphql_schema/errors.py ``handle_user_errors``)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type
from strawberry.types.base import StrawberryObjectDefinition

from graphql_schema.errors import user_error_handling
from graphql_schema.schema import schema as platform_schema


def _mutations_with_user_errors() -> list[tuple[str, Any]]:
    graphql_mutation = platform_schema._schema.mutation_type
    assert graphql_mutation is not None
    definition = platform_schema.get_type_by_name("Mutation")
    assert isinstance(definition, StrawberryObjectDefinition)
    fields = {
        platform_schema.config.name_converter.get_graphql_name(field): field for field in definition.fields
    }
    result = []
    for name, graphql_field in graphql_mutation.fields.items():
        payload = get_named_type(graphql_field.type)
        if isinstance(payload, GraphQLObjectType) and "errors" in payload.fields:
            result.append((name, fields[name]))
    return result


def _kept_names(resolver: Any) -> set[str]:
    """The fields a resolver passes to keep_on_error(...) in its own body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(resolver)))
    return {
        keyword.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "keep_on_error"
        for keyword in node.keywords
        if keyword.arg is not None
    }


def test_every_mutation_with_user_errors_goes_through_the_shared_path():
    mutations = _mutations_with_user_errors()
    assert len(mutations) >= 100  # the whole API, not an empty list

    missing = [
        name
        for name, field in mutations
        if field.base_resolver is None or user_error_handling(field.base_resolver.wrapped_func) is None
    ]

    assert missing == []


def test_every_mutation_s_failure_payload_fills_its_non_null_fields():
    """A failure payload answers null for what the resolver does not keep or set: that must not
    be a non-null field (the client would get a top-level error instead of its user errors)."""
    graphql_mutation = platform_schema._schema.mutation_type
    assert graphql_mutation is not None
    problems = []
    for name, field in _mutations_with_user_errors():
        handling = user_error_handling(field.base_resolver.wrapped_func)
        assert handling is not None
        payload = handling.failure_payload([], {})
        graphql_payload = get_named_type(graphql_mutation.fields[name].type)
        assert isinstance(graphql_payload, GraphQLObjectType)
        kept = _kept_names(handling.resolver)
        for graphql_name, graphql_field in graphql_payload.fields.items():
            python_name = next(
                item.name
                for item in dataclasses.fields(payload)
                if platform_schema.config.name_converter.apply_naming_config(item.name) == graphql_name
            )
            is_null = getattr(payload, python_name) is None
            if isinstance(graphql_field.type, GraphQLNonNull) and is_null and python_name not in kept:
                problems.append(f"{name}.{graphql_name}")

    assert problems == []
