from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry
from django.http import HttpRequest, HttpResponse
from django_tenants.utils import get_public_schema_name

from accounts.models import ApiToken, ApiTokenScope
from tenants.models import Tenant


@dataclass
class GraphQLContext:
    """What every resolver may rely on, over HTTP and over websockets alike."""

    tenant: Tenant
    user: Any
    request: HttpRequest | None = None
    response: HttpResponse | None = None
    api_token: ApiToken | None = None
    ws: Any = None  # the websocket consumer, for subscriptions
    connection_params: dict[str, Any] = field(default_factory=dict)
    # Over the websocket: whether the user must enrol in two-factor first, read with the
    # socket's credential (graphql_schema.consumers); None over HTTP (read when needed).
    two_factor_enrolment: bool | None = None

    @property
    def is_root_host(self) -> bool:
        """The root domain serves the operator console, not a brand."""
        return bool(self.tenant.schema_name == get_public_schema_name())

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    def token_allows(self, scope: ApiTokenScope) -> bool:
        """Session users may do anything their role allows; a token only what its scopes say."""
        return self.api_token is None or scope.value in self.api_token.scopes


Info: TypeAlias = strawberry.Info[GraphQLContext, None]
"""The ``info`` of every resolver: ``info.context`` is a ``GraphQLContext``."""
