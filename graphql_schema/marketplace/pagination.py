"""Keyset (cursor) pages over any sort order, with the connection types of
graphql_schema/pagination.py.

A cursor holds the sort's name and the sort keys of the last row of the page (the primary
key last, so a position is exact); the next page is the rows strictly after it in that order.
Rows inserted or re-priced meanwhile never make a page repeat or skip what did not move,
and deep pages cost what the first does (no OFFSET).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Q, QuerySet
from graphql import GraphQLError

from graphql_schema.pagination import MAX_PAGE_SIZE, Connection, Edge, PageInfo

NodeType = TypeVar("NodeType")
SortKeys = Sequence[tuple[str, bool]]  # (column, descending)


def _invalid_cursor() -> GraphQLError:
    return GraphQLError("Invalid cursor.", extensions={"code": "INVALID_CURSOR"})


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
    """One page: two queries (count and page) plus what ``to_nodes`` loads for the page."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"`first` must be between 1 and {MAX_PAGE_SIZE}.", extensions={"code": "INVALID_PAGE_SIZE"}
        )
    total_count = queryset.count()
    page = queryset.order_by(*[f"-{column}" if descending else column for column, descending in keys])
    if after is not None:
        page = page.filter(_after(keys, decode_keyset_cursor(after, sort, len(keys))))
    rows = list(page[: first + 1])
    has_next_page = len(rows) > first
    rows = rows[:first]
    nodes = to_nodes(rows)
    edges = [
        Edge(cursor=encode_keyset_cursor(sort, [getattr(row, column) for column, _ in keys]), node=node)
        for row, node in zip(rows, nodes, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next_page, end_cursor=edges[-1].cursor if edges else None),
        total_count=total_count,
    )
