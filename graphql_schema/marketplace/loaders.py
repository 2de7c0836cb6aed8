"""Loading what a page of products needs in a constant number of queries.

A page's products share one ``ProductBatch``: the first node that needs its images (or
categories, merchant, commission rule, rating distribution) loads them for every product of
the page at once, and nothing is loaded that no field asked for. Per-request data (the
brand's base URL, the category tree) is cached on the GraphQL context.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import prefetch_related_objects

from affiliation.models import OfferRule
from graphql_schema.context import Info
from marketplace.models import Category, Product
from marketplace.selectors import category_live_counts, rating_distribution
from tenants.selectors import brand_base_url

T = TypeVar("T")


def request_cached(info: Info, key: str, load: Callable[[], T]) -> T:
    """``load()`` once per GraphQL request (the context lives as long as the request)."""
    cache: dict[str, Any] = vars(info.context).setdefault("_marketplace_cache", {})
    if key not in cache:
        cache[key] = load()
    value: T = cache[key]
    return value


def base_url(info: Info) -> str:
    """``https://<brand domain>``: absolute URLs of pages and images, one query per request."""
    return request_cached(info, "base_url", lambda: brand_base_url(info.context.tenant))


class CategoryTree:
    """Every category of the brand, from one query: children and ancestors without more."""

    def __init__(self, categories: Sequence[Category]) -> None:
        self.by_id = {category.pk: category for category in categories}
        self.children: dict[int | None, list[Category]] = {}
        for category in categories:
            self.children.setdefault(category.parent_id, []).append(category)

    def ancestors(self, category: Category) -> list[Category]:
        """From the root down to the category's parent."""
        path: list[Category] = []
        seen = {category.pk}
        current = self.by_id.get(category.parent_id) if category.parent_id else None
        while current is not None and current.pk not in seen:
            path.append(current)
            seen.add(current.pk)
            current = self.by_id.get(current.parent_id) if current.parent_id else None
        return list(reversed(path))


def category_tree(info: Info) -> CategoryTree:
    return request_cached(
        info, "category_tree", lambda: CategoryTree(list(Category.objects.order_by("position", "name", "id")))
    )


def category_counts(info: Info) -> dict[int, int]:
    return request_cached(info, "category_counts", category_live_counts)


class ProductBatch:
    """Relations of a list of products, loaded for all of them on first use."""

    def __init__(self, products: Sequence[Product]) -> None:
        self.products = list(products)
        self._prefetched: set[str] = set()
        self._rules: dict[tuple[int, str], OfferRule] | None = None
        self._distribution: dict[int, dict[int, int]] | None = None

    def prefetch(self, lookup: str) -> None:
        if lookup not in self._prefetched:
            prefetch_related_objects(self.products, lookup)
            self._prefetched.add(lookup)

    def offer_rule(self, product: Product) -> OfferRule | None:
        if self._rules is None:
            refs = [item.offer_ref for item in self.products if item.program_id is not None]
            self._rules = {
                (rule.program_id, rule.offer_ref): rule
                for rule in OfferRule.objects.filter(offer_ref__in=refs)
            }
        if product.program_id is None:
            return None
        return self._rules.get((product.program_id, product.offer_ref))

    def distribution(self, product: Product) -> dict[int, int]:
        if self._distribution is None:
            self._distribution = rating_distribution(item.pk for item in self.products)
        return self._distribution.get(product.pk, dict.fromkeys(range(1, 6), 0))
