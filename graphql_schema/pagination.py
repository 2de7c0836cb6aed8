"""Relay-style cursor connections over querysets: the one pagination module of the API.

Two ways to cut pages, with the same ``Connection`` / ``Edge`` / ``PageInfo`` types:

- ``paginate``: primary-key order (newest first with ``descending``), stable under inserts.
- ``paginate_keyset``: any sort order. A cursor holds the sort's name and the sort keys of the
  last row of the page (the primary key last, so a position is exact); the next page is the
  rows strictly after it in that order. Rows inserted or re-priced meanwhile never make a page
  repeat or skip what did not move, and deep pages cost what the first does (no OFFSET).

Either way a page costs two queries (count and page) whatever its size, plus what
``to_nodes`` loads for the whole page at once.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

import strawberry
from django.db.models import Q, QuerySet
from graphql import GraphQLError

NodeType = TypeVar("NodeType")
SortKeys = Sequence[tuple[str, bool]]  # (column, descending)
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


def _invalid_cursor() -> GraphQLError:
    return GraphQLError("Invalid cursor.", extensions={"code": "INVALID_CURSOR"})


def _check_page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"`first` must be between 1 and {MAX_PAGE_SIZE}.", extensions={"code": "INVALID_PAGE_SIZE"}
        )


def _connection(
    rows: list[Any],
    nodes: list[NodeType],
    *,
    cursor: Callable[[Any], str],
    has_next_page: bool,
    total_count: int,
) -> Connection[NodeType]:
    edges = [Edge(cursor=cursor(row), node=node) for row, node in zip(rows, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next_page, end_cursor=edges[-1].cursor if edges else None),
        total_count=total_count,
    )


# --- primary-key pages ---------------------------------------------------------------------------


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        if kind != "pk":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError) as error:
        raise _invalid_cursor() from error


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
    _check_page_size(first)
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
    return _connection(
        rows,
        nodes,
        cursor=lambda row: encode_cursor(row.pk),
        has_next_page=has_next_page,
        total_count=total_count,
    )


# --- keyset pages over any sort order ------------------------------------------------------------


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, float):
        return ["f", repr(value)]
    if isinstance(value, bool | int) or value is None:
        return ["i", value]
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode_value(item: Any) -> Any:
    kind, raw = item
    if kind == "d":
        return Decimal(raw)
    if kind == "t":
        return dt.datetime.fromisoformat(raw)
    if kind == "f":
        return float(raw)
    if kind == "i" and (raw is None or isinstance(raw, int)):
        return raw
    raise ValueError(kind)


def encode_keyset_cursor(sort: str, values: Sequence[Any]) -> str:
    payload = json.dumps({"s": sort, "v": [_encode_value(value) for value in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def decode_keyset_cursor(cursor: str, sort: str, length: int) -> list[Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if payload["s"] != sort or len(payload["v"]) != length:
            raise ValueError("cursor of another sort order")
        return [_decode_value(item) for item in payload["v"]]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise _invalid_cursor() from error


def _after(keys: SortKeys, values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in the order of ``keys``:
    (k1 > v1) or (k1 = v1 and k2 > v2) or … with < for descending keys."""
    condition = Q(pk__in=[])
    equal = Q()
    for (column, descending), value in zip(keys, values, strict=True):
        condition |= equal & Q(**{f"{column}__{'lt' if descending else 'gt'}": value})
        equal &= Q(**{column: value})
    return condition


def paginate_keyset(
    queryset: QuerySet[Any],
    *,
    sort: str,
    keys: SortKeys,
    first: int,
    after: str | None,
    to_nodes: Callable[[list[Any]], list[NodeType]],
) -> Connection[NodeType]:
    """One page in the order of ``keys`` (named ``sort`` in its cursors): two queries (count
    and page) plus what ``to_nodes`` loads for the page."""
    _check_page_size(first)
    total_count = queryset.count()
    page = queryset.order_by(*[f"-{column}" if descending else column for column, descending in keys])
    if after is not None:
        page = page.filter(_after(keys, decode_keyset_cursor(after, sort, len(keys))))
    rows = list(page[: first + 1])
    has_next_page = len(rows) > first
    rows = rows[:first]
    return _connection(
        rows,
        to_nodes(rows),
        cursor=lambda row: encode_keyset_cursor(sort, [getattr(row, column) for column, _ in keys]),
        has_next_page=has_next_page,
        total_count=total_count,
    )
