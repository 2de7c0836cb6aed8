"""Two-factor authentication in the API: enrolment, the login's second step, fresh checks,
backup codes, recovery by a brand admin, and the guard that keeps a user who must enrol to
enrolment (``TwoFactorEnrolmentGuard``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import segno
import strawberry
from django.http import HttpRequest
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from accounts import services as account_services
from accounts import two_factor as services
from accounts.error_codes import AccountErrorCode
from accounts.models import Role as RoleModel
from graphql_schema.access import parse_id
from graphql_schema.accounts.types import AuthPayload, User
from graphql_schema.context import GraphQLContext, Info
from graphql_schema.errors import UserError, handle_user_errors
from graphql_schema.permissions import IsAuthenticated

# What a user who must enrol may still do.
ENROLMENT_ALLOWED_FIELDS = frozenset(
    {
        "__typename",
        "__schema",
        "__type",
        "me",
        "brand",
        "brandUpdated",  # the app's live theme
        "twoFactorStatus",
        "twoFactorSetupBegin",
        "twoFactorSetupConfirm",
        "logout",
    }
)


def _session_request(info: Info) -> HttpRequest:
    request = info.context.request
    if request is None or info.context.api_token is not None:
        raise GraphQLError(
            "Two-factor authentication is managed over HTTP in a browser session.",
            extensions={"code": "HTTP_ONLY"},
        )
    return request


@strawberry.type(description="My two-factor authentication.")
class TwoFactorStatus:
    enabled: bool
    required: bool = strawberry.field(description="Mandatory for my role in this brand.")
    enrolment_required: bool = strawberry.field(
        description="Mandatory and not set up: everything else is refused until I enrol."
    )
    backup_codes_remaining: int
    fresh: bool = strawberry.field(
        description="A code was confirmed in this session within the last 10 minutes."
    )


@strawberry.type
class TwoFactorSetupPayload:
    secret: str | None = strawberry.field(description="The key to type into an authenticator app.")
    otpauth_uri: str | None = strawberry.field(description="The otpauth:// URI the QR code holds.")
    qr_code_svg: str | None = strawberry.field(description="The QR code of otpauthUri, an SVG document.")
    errors: list[UserError]


@strawberry.type
class TwoFactorBackupCodesPayload:
    backup_codes: list[str] | None = strawberry.field(description="Single-use backup codes, shown only now.")
    errors: list[UserError]


@strawberry.type
class TwoFactorPayload:
    ok: bool
    errors: list[UserError]


@strawberry.type
class TwoFactorResetPayload:
    user: User | None
    errors: list[UserError]


def _qr_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(buffer, kind="svg", scale=5, border=4, xmldecl=False)
    return buffer.getvalue().decode()


def _status(info: Info) -> TwoFactorStatus:
    user = info.context.user
    enabled = services.two_factor_enabled(user=user)
    required = services.two_factor_required(user=user, tenant=info.context.tenant)
    return TwoFactorStatus(
        enabled=enabled,
        required=required,
        enrolment_required=required and not enabled,
        backup_codes_remaining=services.backup_codes_remaining(user=user) if enabled else 0,
        fresh=services.two_factor_is_fresh(request=info.context.request),
    )


@strawberry.type
class TwoFactorQuery:
    @strawberry.field(permission_classes=[IsAuthenticated], description="My two-factor authentication.")
    def two_factor_status(self, info: Info) -> TwoFactorStatus:
        return _status(info)

    @strawberry.field(description="A sign-in in this browser waits for its two-factor code.")
    def two_factor_login_pending(self, info: Info) -> bool:
        request = info.context.request
        return request is not None and services.two_factor_pending_user(request=request) is not None


@strawberry.type
class TwoFactorMutation:
    @strawberry.mutation(
        description="The second step of a sign-in (after the password or a login link): a code "
        "from the authenticator app, or a backup code."
    )
    @handle_user_errors
    def login_verify_two_factor(self, info: Info, code: str) -> AuthPayload:
        user = account_services.user_login_two_factor(request=_session_request(info), code=code)
        return AuthPayload(user=User.from_model(user), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Start setting up an authenticator app: scan the QR code, then confirm a code.",
    )
    @handle_user_errors
    def two_factor_setup_begin(self, info: Info) -> TwoFactorSetupPayload:
        _session_request(info)
        setup = services.two_factor_setup_begin(user=info.context.user)
        return TwoFactorSetupPayload(
            secret=setup.secret,
            otpauth_uri=setup.otpauth_uri,
            qr_code_svg=_qr_svg(setup.otpauth_uri),
            errors=[],
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Turn two-factor on with a first code; returns the backup codes, shown once.",
    )
    @handle_user_errors
    def two_factor_setup_confirm(self, info: Info, code: str) -> TwoFactorBackupCodesPayload:
        return _codes(
            lambda: services.two_factor_setup_confirm(
                request=_session_request(info), user=info.context.user, code=code
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Confirm a code now, before a sensitive action (withdrawal, payout details, API token).",
    )
    @handle_user_errors(ok=False)
    def two_factor_verify(self, info: Info, code: str) -> TwoFactorPayload:
        services.two_factor_verify(request=_session_request(info), user=info.context.user, code=code)
        return TwoFactorPayload(ok=True, errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="New backup codes after a code; the old ones stop working.",
    )
    @handle_user_errors
    def two_factor_backup_codes_regenerate(self, info: Info, code: str) -> TwoFactorBackupCodesPayload:
        return _codes(
            lambda: services.two_factor_backup_codes_regenerate(
                request=_session_request(info), user=info.context.user, code=code
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Turn two-factor off, with a code (not when it is mandatory for my role).",
    )
    @handle_user_errors(ok=False)
    def two_factor_disable(self, info: Info, code: str) -> TwoFactorPayload:
        services.two_factor_disable(
            request=_session_request(info), user=info.context.user, tenant=info.context.tenant, code=code
        )
        return TwoFactorPayload(ok=True, errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Recovery: remove a user's authenticator and backup codes (brand admins; "
        "operators for operators). Recorded in the audit log.",
    )
    @handle_user_errors
    def two_factor_reset(self, info: Info, user_id: strawberry.ID) -> TwoFactorResetPayload:
        actor = info.context.user
        admin_role = RoleModel.OPERATOR if info.context.is_root_host else RoleModel.BRAND_ADMIN
        if actor.role != admin_role:
            raise GraphQLError("You do not have permission to do this.", extensions={"code": "FORBIDDEN"})
        services.fresh_two_factor_required(
            request=info.context.request, user=actor, api_token=info.context.api_token
        )
        user = services.two_factor_reset(actor=actor, user_id=parse_id(user_id))
        return TwoFactorResetPayload(user=User.from_model(user), errors=[])


def _codes(action: Any) -> TwoFactorBackupCodesPayload:
    codes = action()
    return TwoFactorBackupCodesPayload(backup_codes=codes, errors=[])


def fresh_two_factor_required(info: Info) -> None:
    """Raise the user error of a sensitive mutation run without a fresh two-factor check: the
    client asks for a code (``twoFactorVerify``) and retries."""
    context = info.context
    services.fresh_two_factor_required(
        request=context.request, user=context.user, api_token=context.api_token
    )


# --- the enrolment guard ---------------------------------------------------------------------

ENROLMENT_REQUIRED_ERROR = "Set up two-factor authentication first: it is mandatory for your role."


def enrolment_required(context: GraphQLContext) -> bool:
    """A session user of a role where two-factor is mandatory, not enrolled (tokens exempt).
    Over the websocket, the socket's credential check computes it (``two_factor_enrolment``)."""
    if context.api_token is not None or not context.is_authenticated:
        return False
    if context.two_factor_enrolment is not None:
        return context.two_factor_enrolment
    return services.two_factor_enrolment_required(user=context.user, tenant=context.tenant)


def enrolment_error() -> GraphQLError:
    return GraphQLError(
        ENROLMENT_REQUIRED_ERROR,
        extensions={"code": AccountErrorCode.TWO_FACTOR_ENROLMENT_REQUIRED.value, "reason": "FORBIDDEN"},
    )


def _root_fields_allowed(operation: OperationDefinitionNode) -> bool:
    return all(
        isinstance(selection, FieldNode) and selection.name.value in ENROLMENT_ALLOWED_FIELDS
        for selection in operation.selection_set.selections
    )


def allowed_while_enrolling(query: str | None, operation_name: str | None) -> bool:
    """Whether a user who must enrol may run this operation (only allowed root fields)."""
    try:
        operation = get_operation_ast(parse(query or ""), operation_name)
    except GraphQLError:
        return True  # execution reports the syntax error itself
    return operation is None or _root_fields_allowed(operation)


class TwoFactorEnrolmentGuard(SchemaExtension):
    """Answers every query and mutation of a user who must enrol with one forbidden error
    (extensions.code TWO_FACTOR_ENROLMENT_REQUIRED), except ``me``, the brand, enrolment and
    logout. Subscriptions are refused by the websocket handler (graphql_schema.consumers)."""

    def on_execute(self) -> Iterator[None]:
        execution_context = self.execution_context
        context = execution_context.context
        document = execution_context.graphql_document
        if isinstance(context, GraphQLContext) and document is not None:
            operation = get_operation_ast(document, execution_context.operation_name)
            if operation is not None and not _root_fields_allowed(operation) and enrolment_required(context):
                execution_context.result = GraphQLExecutionResult(data=None, errors=[enrolment_error()])
        yield
