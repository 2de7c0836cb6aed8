from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from affiliation.selectors import membership
from analytics.leaderboard import leaderboard
from graphql_schema.access import parse_id
from graphql_schema.affiliation.access import program_or_error
from graphql_schema.context import Info


@strawberry.enum
class LeaderboardMetric(Enum):
    EARNINGS = "earnings"
    CLICKS = "clicks"


@strawberry.enum
class LeaderboardPeriod(Enum):
    LAST_7_DAYS = 7
    LAST_30_DAYS = 30
    LAST_90_DAYS = 90
    ALL_TIME = 0


@strawberry.type(
    description="A leaderboard row. Names and emails are masked; opted-out affiliates are left out."
)
class LeaderboardEntry:
    rank: int
    display_name: str
    masked_email: str
    value: Decimal = strawberry.field(description="Earnings in the program's currency, or unique clicks.")
    is_me: bool


@strawberry.type
class LeaderboardQuery:
    @strawberry.field(description="Top affiliates of a program. Signed-in members also get their own row.")
    def leaderboard(
        self,
        info: Info,
        program_id: strawberry.ID,
        metric: LeaderboardMetric = LeaderboardMetric.EARNINGS,
        period: LeaderboardPeriod = LeaderboardPeriod.LAST_30_DAYS,
        limit: int = 10,
    ) -> list[LeaderboardEntry]:
        program = program_or_error(program_id)
        viewer = (
            membership(info.context.user, parse_id(program_id)) if info.context.is_authenticated else None
        )
        entries = leaderboard(
            program=program,
            metric=metric.value,
            period_days=period.value or None,
            limit=max(1, min(limit, 100)),
            viewer_affiliate_id=viewer.pk if viewer else None,
        )
        return [
            LeaderboardEntry(
                rank=entry.rank,
                display_name=entry.display_name,
                masked_email=entry.masked_email,
                value=Decimal(entry.value),
                is_me=entry.is_viewer,
            )
            for entry in entries
        ]
