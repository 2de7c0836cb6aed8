"""Errors answered in Stripe's JSON shape: ``{"error": {"type", "message", "code", "param", "doc_url"}}``."""

from __future__ import annotations

from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An API error; the server turns it into the HTTP status and body Stripe would send."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_URL + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param)


def parameter_missing(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def parameter_invalid(param: str, message: str) -> StripeError:
    return StripeError(message, code="parameter_invalid_string", param=param)


def parameter_unknown(param: str) -> StripeError:
    return StripeError(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)
