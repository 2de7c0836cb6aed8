"""The root schema: every domain's queries, mutations and subscriptions merged into one."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import Any

import strawberry
from django.conf import settings
from graphql import GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.schema import StreamResult
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.utils.logging import StrawberryLogger

from core.tenancy import run_in_tenant
from graphql_schema.accounts.mutations import AccountMutation
from graphql_schema.accounts.queries import AccountQuery
from graphql_schema.accounts.two_factor import TwoFactorEnrolmentGuard, TwoFactorMutation, TwoFactorQuery
from graphql_schema.affiliation.leaderboard import LeaderboardQuery
from graphql_schema.affiliation.mutations import AffiliationMutation
from graphql_schema.affiliation.postback_keys import PostbackMutation, PostbackQuery
from graphql_schema.affiliation.queries import AffiliationQuery
from graphql_schema.affiliation.subscriptions import AffiliationSubscription
from graphql_schema.analytics.queries import AnalyticsQuery
from graphql_schema.audit.queries import AuditQuery
from graphql_schema.billing.mutations import BillingMutation
from graphql_schema.billing.queries import BillingQuery
from graphql_schema.brand.domains import CustomDomainMutation, CustomDomainQuery
from graphql_schema.brand.mutations import BrandMutation
from graphql_schema.brand.queries import BrandQuery
from graphql_schema.brand.stats import BrandStatsQuery, BrandStatsSubscription
from graphql_schema.brand.subscriptions import BrandSubscription
from graphql_schema.console.mutations import ConsoleMutation
from graphql_schema.console.queries import ConsoleQuery
from graphql_schema.context import GraphQLContext
from graphql_schema.fraud.mutations import FraudMutation
from graphql_schema.fraud.queries import FraudQuery
from graphql_schema.input_guard import NulCharacterGuard
from graphql_schema.invitations.mutations import InvitationMutation
from graphql_schema.invitations.queries import InvitationQuery
from graphql_schema.kyc.mutations import KycMutation
from graphql_schema.kyc.queries import KycQuery
from graphql_schema.marketplace.live import MerchantLiveSubscription
from graphql_schema.marketplace.mutations import MarketplaceMutation
from graphql_schema.marketplace.queries import MarketplaceQuery
from graphql_schema.metrics import OperationMetricsLabel
from graphql_schema.notifications.centre import (
    NotificationCentreMutation,
    NotificationCentreQuery,
    NotificationCentreSubscription,
)
from graphql_schema.notifications.mutations import NotificationMutation
from graphql_schema.notifications.queries import NotificationQuery
from graphql_schema.orders.mutations import OrderMutation
from graphql_schema.orders.queries import OrderQuery
from graphql_schema.payments.mutations import PaymentMutation
from graphql_schema.payments.queries import PaymentQuery
from graphql_schema.payments.subscriptions import PaymentSubscription
from graphql_schema.payouts.connect import StripeConnectMutation, StripeConnectQuery
from graphql_schema.payouts.mutations import PayoutMutation
from graphql_schema.payouts.queries import PayoutQuery
from graphql_schema.privacy.mutations import PrivacyMutation
from graphql_schema.privacy.queries import PrivacyQuery
from graphql_schema.statements.mutations import StatementMutation
from graphql_schema.statements.queries import StatementQuery
from graphql_schema.support.mutations import SupportMutation
from graphql_schema.support.queries import SupportQuery
from graphql_schema.webhooks.mutations import WebhookMutation
from graphql_schema.webhooks.queries import WebhookQuery

Query = merge_types(
    "Query",
    (
        BrandQuery,
        BrandStatsQuery,
        CustomDomainQuery,
        AccountQuery,
        TwoFactorQuery,
        AffiliationQuery,
        LeaderboardQuery,
        PostbackQuery,
        PayoutQuery,
        StripeConnectQuery,
        MarketplaceQuery,
        OrderQuery,
        PaymentQuery,
        BillingQuery,
        NotificationQuery,
        NotificationCentreQuery,
        AnalyticsQuery,
        AuditQuery,
        ConsoleQuery,
        SupportQuery,
        PrivacyQuery,
        KycQuery,
        InvitationQuery,
        WebhookQuery,
        StatementQuery,
        FraudQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutation,
        TwoFactorMutation,
        BrandMutation,
        CustomDomainMutation,
        AffiliationMutation,
        PostbackMutation,
        PayoutMutation,
        StripeConnectMutation,
        MarketplaceMutation,
        OrderMutation,
        PaymentMutation,
        BillingMutation,
        NotificationMutation,
        NotificationCentreMutation,
        ConsoleMutation,
        SupportMutation,
        PrivacyMutation,
        KycMutation,
        InvitationMutation,
        WebhookMutation,
        StatementMutation,
        FraudMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (
        BrandSubscription,
        BrandStatsSubscription,
        AffiliationSubscription,
        PaymentSubscription,
        MerchantLiveSubscription,
        NotificationCentreSubscription,
    ),
)

EXPOSED_ERROR_CODES_EXTENSION = "code"


def is_expected_error(error: GraphQLError) -> bool:
    """An error the client caused and can read: a syntax or validation error, a bad variable,
    or one we raise on purpose (a GraphQLError, or an error with a ``code`` extension such as a
    permission's FORBIDDEN). Anything else is an exception nobody planned for: a bug."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return True
    return bool(error.extensions and EXPOSED_ERROR_CODES_EXTENSION in error.extensions)


def _should_mask(error: GraphQLError) -> bool:
    """Hide unexpected exceptions (bugs) from clients; keep errors we raise on purpose."""
    return not is_expected_error(error)


def operation_type(query: str | None, operation_name: str | None) -> OperationType | None:
    """The type of the operation a request runs, or None when the document does not parse or
    name one (execution then reports that error itself)."""
    if not query:
        return None
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return None
    return operation.operation if operation else None


class PlatformSchema(strawberry.Schema):
    """Runs queries and mutations that arrive over the websocket inside the brand's schema.

    Subscriptions stream on the event loop and never touch the database lazily. Queries and
    mutations, whose resolvers are plain sync Django code, run whole in one call to
    ``run_in_tenant``, so they cannot see the schema another connection left on the shared
    ``database_sync_to_async`` thread (see core.tenancy).

    Errors are logged by kind: what the client did wrong (not found, forbidden, a bad variable
    or page size, a syntax error) at INFO without a traceback, so that the ERROR level and its
    alerts keep to bugs, which are logged with their traceback.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_expected_error(error):
                StrawberryLogger.logger.info("%s", error)
            else:
                StrawberryLogger.error(error, execution_context)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[StrawberryOperationType] | None = None,
    ) -> StreamResult:
        is_websocket = isinstance(context_value, GraphQLContext) and context_value.ws is not None
        if is_websocket and operation_type(query, operation_name) in (
            OperationType.QUERY,
            OperationType.MUTATION,
        ):
            assert isinstance(context_value, GraphQLContext)
            result = await run_in_tenant(
                context_value.tenant,
                self.execute_sync,
                query,
                variable_values=variable_values,
                context_value=context_value,
                root_value=root_value,
                operation_name=operation_name,
            )
            return _single(result)
        return await super().stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=allowed_operation_types,
        )


async def _single(result: Any) -> AsyncGenerator[Any, None]:
    yield result


def _extensions() -> list[Any]:
    """Factories, so that every operation gets fresh extension instances."""
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=settings.GRAPHQL_MAX_ALIASES),
        NulCharacterGuard,
        TwoFactorEnrolmentGuard,
        OperationMetricsLabel,  # the bounded operation label of the HTTP metrics
    ]
    if not settings.GRAPHQL_INTROSPECTION:
        extensions.append(DisableIntrospection)
    if not settings.DEBUG:
        extensions.append(lambda: MaskErrors(should_mask_error=_should_mask))
    return extensions


schema = PlatformSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=_extensions(),
)
