"""Relay-style cursor connections over querysets, keyed on the primary key (stable under inserts)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry
from django.db.models import QuerySet
from graphql import GraphQLError

NodeType = TypeVar("NodeType")
MAX_PAGE_SIZE = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


@strawberry.type
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo
    total_count: int


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        if kind != "pk":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError) as error:
        raise GraphQLError("Invalid cursor.", extensions={"code": "INVALID_CURSOR"}) from error


def paginate(
    queryset: QuerySet[Any],
    *,
    first: int,
    after: str | None,
    to_node: Callable[[Any], NodeType] | None = None,
    to_nodes: Callable[[list[Any]], list[NodeType]] | None = None,
    descending: bool = False,
) -> Connection[NodeType]:
    """One page in primary-key order (newest first with ``descending``): two queries (count
    and page) whatever the size, plus what ``to_nodes`` needs for the whole page at once."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"`first` must be between 1 and {MAX_PAGE_SIZE}.", extensions={"code": "INVALID_PAGE_SIZE"}
        )
    total_count = queryset.count()
    page = queryset.order_by("-pk" if descending else "pk")
    if after is not None:
        cursor = decode_cursor(after)
        page = page.filter(pk__lt=cursor) if descending else page.filter(pk__gt=cursor)
    rows = list(page[: first + 1])
    has_next_page = len(rows) > first
    rows = rows[:first]
    if to_nodes is not None:
        nodes = to_nodes(rows)
    elif to_node is not None:
        nodes = [to_node(row) for row in rows]
    else:
        raise TypeError("paginate needs to_node or to_nodes")
    edges = [Edge(cursor=encode_cursor(row.pk), node=node) for row, node in zip(rows, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next_page, end_cursor=edges[-1].cursor if edges else None),
        total_count=total_count,
    )
