"""Model → GraphQL type conversions that need more than the row itself."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from affiliation import models
from analytics.affiliate_stats import EMPTY_STATS, link_stats
from core.tenancy import tenant_connection
from graphql_schema.affiliation.types import Link, LinkStats
from tenants.selectors import brand_base_url


def links_with_stats(links: Sequence[models.Link]) -> list[Link]:
    """GraphQL links with their stats: a constant number of queries for the whole list."""
    stats = link_stats(link.pk for link in links)
    base_url = brand_base_url(tenant_connection().tenant)
    return [
        Link(
            id=strawberry.ID(str(link.pk)),
            code=link.code,
            url=f"{base_url}/r/{link.code}",
            qr_code_svg_url=f"{base_url}/links/{link.code}/qr.svg",
            qr_code_png_url=f"{base_url}/links/{link.code}/qr.png",
            title=link.title,
            target_url=link.target_url,
            program_id=strawberry.ID(str(link.program_id)),
            sub_ids=strawberry.scalars.JSON(link.sub_ids),
            utm=strawberry.scalars.JSON(link.utm),
            created_at=link.created_at,
            archived_at=link.archived_at,
            stats=LinkStats.from_data(stats.get(link.pk, EMPTY_STATS), link.program.currency),
        )
        for link in links
    ]
