"""Who sent a plain HTTP request (the endpoints beside GraphQL: QR codes, exports): a Bearer
API token when the request carries one, else the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.error_codes import AccountErrorCode
from accounts.models import ApiTokenScope
from accounts.services import api_token_authenticate


class TokenRefused(Exception):
    """The request's ``Authorization`` header does not authenticate for what it asks."""

    def __init__(self, *, status: int, code: str, message: str, required_scope: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.required_scope = required_scope

    def as_dict(self) -> dict[str, str]:
        error = {"code": self.code, "message": self.message}
        if self.required_scope is not None:
            error["requiredScope"] = self.required_scope
        return error


def request_user(request: HttpRequest, *, scope: ApiTokenScope) -> Any:
    """The user of the request's Bearer token (active, holding ``scope``), or, without an
    ``Authorization`` header, the session's user (possibly anonymous).

    A bad token raises ``TokenRefused`` (401, or 403 for a missing scope): never a fallback to
    the session, so an integration learns its token is wrong.
    """
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if not authorization:
        return request.user
    scheme, _, raw_token = authorization.partition(" ")
    token = api_token_authenticate(raw_token) if scheme.lower() == "bearer" else None
    if token is None:
        raise TokenRefused(
            status=401, code=AccountErrorCode.INVALID_TOKEN, message="Invalid, expired or revoked API token."
        )
    if scope.value not in token.scopes:
        held = ", ".join(held_scope.upper() for held_scope in token.scopes)
        raise TokenRefused(
            status=403,
            code=AccountErrorCode.INSUFFICIENT_SCOPE,
            message=f"This API token has the {held} scope; this needs {scope.value.upper()}.",
            required_scope=scope.value.upper(),
        )
    return token.user
