"""``/graphql/`` over websockets (graphql-transport-ws), in the brand resolved from the Host.

A socket authenticates once, with the session cookie of its handshake or a token in
``connection_init``, but acts only with what that credential allows *now*:

- every ``subscribe`` message (queries and mutations included) re-reads the credential first:
  one indexed lookup of the session or token; anonymous sockets have nothing to re-read;
- logout, token revocation, deactivation and role changes publish ``credentials.changed`` on
  the brand's ``<schema>.user.<id>`` group (``accounts.services``); the socket re-checks at once;
- a watchdog re-checks when the token or session expires, and at least every
  ``RECHECK_SECONDS`` for changes written past the services (a shell, a data fix).

A credential that no longer authenticates closes the socket with ``CLOSE_UNAUTHENTICATED``
(4401) and a reason starting ``UNAUTHENTICATED:``; so does a bad token in ``connection_init``.
A role change ends the running subscriptions with an ``error`` message (code
``CREDENTIALS_CHANGED``): the socket stays open and later operations run with the new role.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from graphql import GraphQLError, OperationType
from strawberry.channels import GraphQLWSConsumer
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from accounts.models import ApiToken
from accounts.selectors import api_token_active, session_expires_at
from accounts.services import CREDENTIALS_EVENT, api_token_authenticate, user_topic
from accounts.two_factor import two_factor_enrolment_required
from core.audit import origin_set
from core.events import group_name
from core.middleware import websocket_origin
from core.tenancy import run_in_tenant
from graphql_schema.accounts.two_factor import allowed_while_enrolling, enrolment_error
from graphql_schema.context import GraphQLContext
from graphql_schema.schema import operation_type, schema
from tenants.websocket import user_for_session_key

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
RECHECK_SECONDS = 60.0
EXPIRY_GRACE_SECONDS = 0.05  # wake just after the expiry, so the check sees it expired
CREDENTIALS_CHANGED = "CREDENTIALS_CHANGED"


class CredentialRejected(Exception):
    """``connection_init`` carried a credential that does not authenticate."""


@dataclass(frozen=True)
class Authority:
    """What a socket's credential allows at the moment it was read."""

    user: Any
    api_token: ApiToken | None
    expires_at: dt.datetime | None
    two_factor_enrolment: bool = False  # must enrol in two-factor before anything else


def _token_authority(token_id: int) -> Authority | None:
    token = api_token_active(token_id=token_id)
    return Authority(user=token.user, api_token=token, expires_at=token.expires_at) if token else None


def _session_authority(session_key: str) -> Authority | None:
    """The session's user; None once the session is gone or expired, or when it no longer
    authenticates (user deactivated, password changed). A session waiting for its two-factor
    code has no user: it never authenticates a socket."""
    expires_at = session_expires_at(session_key=session_key)
    if expires_at is None:
        return None
    user = user_for_session_key(session_key)
    if not user.is_authenticated:
        return None
    tenant = connection.tenant  # type: ignore[attr-defined]
    return Authority(
        user=user,
        api_token=None,
        expires_at=expires_at,
        two_factor_enrolment=two_factor_enrolment_required(user=user, tenant=tenant),
    )


class AuthorityCheckingHandler(BaseGraphQLTransportWSHandler[GraphQLContext, None]):
    """strawberry's graphql-transport-ws handler, checking the socket's authority before each
    operation and able to end the running ones."""

    view: GraphQLWebsocketConsumer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view.protocol_handler = self

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except CredentialRejected as rejection:
            await self.websocket.close(code=CLOSE_UNAUTHENTICATED, reason=f"UNAUTHENTICATED: {rejection}")

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and not await self.view.authority_check():
            return
        context = self.view.context
        payload = message["payload"]
        query, name = payload.get("query"), payload.get("operationName")
        if (
            context is not None
            and context.two_factor_enrolment
            and operation_type(query, name) == OperationType.SUBSCRIPTION
            and not allowed_while_enrolling(query, name)
        ):  # (queries and mutations meet the schema's TwoFactorEnrolmentGuard)
            error = enrolment_error().formatted
            await self.send_message({"id": message["id"], "type": "error", "payload": [error]})
            return
        await super().handle_subscribe(message)

    async def operations_cancel(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)

    async def subscriptions_end(self, message: str) -> None:
        """End every running subscription with an ``error`` message; queries and mutations in
        flight finish (they started with the authority they had)."""
        error = GraphQLError(message, extensions={"code": CREDENTIALS_CHANGED})
        for operation in list(self.operations.values()):
            if operation_type(operation.query, operation.operation_name) != OperationType.SUBSCRIPTION:
                continue
            await operation.send_operation_message(
                {"id": operation.id, "type": "error", "payload": [error.formatted]}
            )
            if operation.task is not None:
                operation.task.cancel()


class GraphQLWebsocketConsumer(GraphQLWSConsumer):
    """The scope carries ``tenant``, the session ``user`` and its ``session_key``
    (tenants.websocket). A client without a session may authenticate in ``connection_init``
    with ``{"Authorization": "Bearer <token>"}``."""

    graphql_transport_ws_handler_class = AuthorityCheckingHandler  # type: ignore[assignment]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("schema", schema)
        kwargs.setdefault("subscription_protocols", (GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        super().__init__(**kwargs)
        self.protocol_handler: AuthorityCheckingHandler | None = None
        self.context: GraphQLContext | None = None
        # The credential to re-read: ("token", token id) or ("session", session key); None
        # for an anonymous socket.
        self.credential: tuple[str, Any] | None = None
        self.role: str | None = None
        self.expires_at: dt.datetime | None = None
        self.authority_ended = False
        self.authority_lock = asyncio.Lock()
        self.watchdog: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # The consumer runs in its own task: operations started from it (and the threads of
        # run_in_tenant) inherit the origin, so their audit events carry the IP and user agent.
        origin_set(websocket_origin(scope))
        await super().__call__(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> GraphQLContext:  # type: ignore[override]
        self.context = GraphQLContext(tenant=self.scope["tenant"], user=self.scope["user"], ws=self)
        return self.context

    async def on_ws_connect(self, context: GraphQLContext) -> Any:  # type: ignore[override]
        authorization = str(context.connection_params.get("Authorization", ""))
        if authorization:
            scheme, _, raw_token = authorization.partition(" ")
            if scheme.lower() != "bearer":
                raise CredentialRejected('send {"Authorization": "Bearer <API token>"}')
            token = await run_in_tenant(context.tenant, api_token_authenticate, raw_token)
            if token is None:
                raise CredentialRejected("invalid, expired or revoked API token")
            context.user, context.api_token = token.user, token
            self.credential, self.expires_at = ("token", token.pk), token.expires_at
        elif context.is_authenticated and self.scope.get("session_key"):
            self.credential = ("session", self.scope["session_key"])
            self.expires_at = await run_in_tenant(
                context.tenant, session_expires_at, session_key=self.scope["session_key"]
            )
        if self.credential is not None:
            self.role = context.user.role
            await self._user_group_join(context)
            self.watchdog = asyncio.create_task(self._watch())
        return None

    async def _user_group_join(self, context: GraphQLContext) -> None:
        if self.channel_layer is None:
            return
        group = group_name(context.tenant.schema_name, user_topic(context.user.pk))
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)  # discarded by channels on disconnect

    async def dispatch(self, message: Any) -> None:
        if message.get("type") == CREDENTIALS_EVENT:
            await self.authority_check()
            return
        await super().dispatch(message)

    async def authority_check(self) -> bool:
        """Re-read the socket's credential into the context. False when it no longer
        authenticates: the socket is then closing with 4401."""
        async with self.authority_lock:
            if self.authority_ended:
                return False
            if self.credential is None or self.context is None:
                return True
            kind, value = self.credential
            read = _token_authority if kind == "token" else _session_authority
            authority = await run_in_tenant(self.context.tenant, read, value)
            if authority is None:
                await self._authority_end()
                return False
            self.context.user, self.context.api_token = authority.user, authority.api_token
            self.context.two_factor_enrolment = authority.two_factor_enrolment
            self.expires_at = authority.expires_at
            if authority.user.role != self.role:
                self.role = authority.user.role
                if self.protocol_handler is not None:
                    await self.protocol_handler.subscriptions_end(
                        "Your role changed: subscribe again to continue with its permissions."
                    )
            return True

    async def _authority_end(self) -> None:
        self.authority_ended = True
        if self.protocol_handler is not None:
            await self.protocol_handler.operations_cancel()
        await self.close(
            code=CLOSE_UNAUTHENTICATED,
            reason="UNAUTHENTICATED: signed out, token revoked or expired, or account deactivated",
        )

    async def _watch(self) -> None:
        """Re-check at the credential's expiry, and at least every ``RECHECK_SECONDS``."""
        while not self.authority_ended:
            delay = RECHECK_SECONDS
            if self.expires_at is not None:
                until_expiry = (self.expires_at - timezone.now()).total_seconds()
                delay = min(delay, max(until_expiry, 0) + EXPIRY_GRACE_SECONDS)
            await asyncio.sleep(delay)
            try:
                await self.authority_check()
            except Exception:
                logger.exception("websocket credential re-check failed; retrying later")

    async def disconnect(self, code: int) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
        await super().disconnect(code)
