"""User errors: what the user can fix comes back as data, never as a top-level error.

Every mutation whose payload carries ``errors: [UserError!]!`` is decorated with
``handle_user_errors``, the one place that turns a ``ValidationError`` raised by a service (or
by the resolver itself, with ``core.errors.field_error``) into that payload::

    @strawberry.mutation(permission_classes=[IsMerchantOrBrandAdmin])
    @handle_user_errors
    def product_update(self, info: Info, id: strawberry.ID, input: ProductInput) -> ProductPayload:
        product = managed_product_or_error(info, id)
        keep_on_error(product=lambda: ProductType.from_model(product))  # return the object anyway
        product = services.product_update(actor=info.context.user, product=product, ...)
        return ProductPayload(product=ProductType.from_model(product), errors=[])

On a ``ValidationError`` the payload of the resolver's return annotation is built with the
errors, the values ``keep_on_error`` registered (called only then), the decorator's own
keyword values (``@handle_user_errors(ok=False)``) and null for the other fields. A
``RateLimited`` error also answers HTTP 429 with ``Retry-After``. Any other exception is a bug
or a permission failure and propagates unchanged (strawberry-django's ``handle_django_errors``
does the same job for its own mutations).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, overload

import strawberry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model

from core.ratelimit import RateLimited

Params = ParamSpec("Params")
Result = TypeVar("Result")
ModelInstance = TypeVar("ModelInstance", bound=Model)


@strawberry.type(description="A value that a user error's message names (a minimum, a balance).")
class UserErrorParam:
    name: str
    value: str


@strawberry.type(description="A problem the user can fix, attached to an input field when there is one.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault (camelCase), or null.")
    code: str = strawberry.field(description="A stable, machine-readable code, e.g. TAKEN or RATE_LIMITED.")
    message: str = strawberry.field(description="A sentence to show to the user.")
    params: list[UserErrorParam] = strawberry.field(
        default_factory=list,
        description="The specifics the message names (minimum, currency...), to word it in another language.",
    )


def _params(item: ValidationError) -> list[UserErrorParam]:
    params = getattr(item, "params", None)
    if not isinstance(params, dict):
        return []
    return [UserErrorParam(name=str(name), value=str(value)) for name, value in params.items()]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(error: ValidationError) -> list[UserError]:
    """Flatten a Django ValidationError (as raised by services) into UserErrors."""
    result: list[UserError] = []
    if hasattr(error, "error_dict"):
        for field_name, field_errors in error.error_dict.items():
            for item in field_errors:
                result.append(
                    UserError(
                        field=None if field_name == NON_FIELD_ERRORS else _camel(field_name),
                        code=str(item.code or "INVALID"),
                        message=" ".join(item.messages),
                        params=_params(item),
                    )
                )
    else:
        for item in error.error_list:
            result.append(
                UserError(
                    field=None,
                    code=str(item.code or "INVALID"),
                    message=" ".join(item.messages),
                    params=_params(item),
                )
            )
    return result


def rate_limited_errors(info: Any, error: RateLimited) -> list[UserError]:
    """The user errors of a rate-limited mutation, answered over HTTP with status 429 and
    ``Retry-After`` (the payload still carries the errors, for clients that read them)."""
    response = getattr(info.context, "response", None) if info is not None else None
    if response is not None:  # None over the websocket
        response.status_code = 429
        response["Retry-After"] = str(error.retry_after_seconds)
    return user_errors(error)


# --- the one mutation error path ---------------------------------------------------------------

_kept_on_error: ContextVar[dict[str, Callable[[], Any]] | None] = ContextVar("kept_on_error", default=None)


def keep_on_error(**fields: Callable[[], Any]) -> None:
    """Payload fields to return even when the mutation fails with user errors (the object as it
    now stands, say). Each value is called only if a ``ValidationError`` is raised later in the
    same ``handle_user_errors`` resolver."""
    kept = _kept_on_error.get()
    if kept is None:
        raise RuntimeError("keep_on_error() is for resolvers decorated with @handle_user_errors")
    kept.update(fields)


def refreshed(instance: ModelInstance) -> ModelInstance:
    """``instance`` as the database has it: for ``keep_on_error`` after a service that may have
    changed it in memory before it refused."""
    instance.refresh_from_db()
    return instance


@contextmanager
def _keeping() -> Iterator[dict[str, Callable[[], Any]]]:
    kept: dict[str, Callable[[], Any]] = {}
    token = _kept_on_error.set(kept)
    try:
        yield kept
    finally:
        _kept_on_error.reset(token)


@dataclasses.dataclass(frozen=True)
class UserErrorHandling:
    """What ``handle_user_errors`` knows of one resolver (tests introspect it)."""

    resolver: Callable[..., Any]
    on_error: dict[str, Any]

    @functools.cached_property
    def payload_type(self) -> type[Any]:
        """The resolver's return annotation, resolved in its module (lazily: the module may
        define or import the payload after the resolver)."""
        payload = typing.get_type_hints(self.resolver)["return"]
        if not (isinstance(payload, type) and dataclasses.is_dataclass(payload)):
            raise TypeError(f"{self.resolver.__qualname__} must return a payload type, not {payload!r}")
        names = {field.name for field in dataclasses.fields(payload)}
        if "errors" not in names:
            raise TypeError(f"{payload.__name__} has no `errors` field")
        unknown = set(self.on_error) - names
        if unknown:
            raise TypeError(f"{payload.__name__} has no field {', '.join(sorted(unknown))}")
        return payload

    def failure_payload(self, errors: list[UserError], kept: dict[str, Callable[[], Any]]) -> Any:
        payload = self.payload_type
        values: dict[str, Any] = {}
        for field in dataclasses.fields(payload):
            if field.name == "errors":
                continue
            if field.name in kept:
                values[field.name] = kept[field.name]()
            elif field.name in self.on_error:
                values[field.name] = self.on_error[field.name]
            elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                values[field.name] = None
        return payload(**values, errors=errors)


def _info_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    for value in (*kwargs.values(), *args):
        if isinstance(value, strawberry.Info):
            return value
    return None


def _errors_of(error: ValidationError, info: Any) -> list[UserError]:
    if isinstance(error, RateLimited):
        return rate_limited_errors(info, error)
    return user_errors(error)


@overload
def handle_user_errors(resolver: Callable[Params, Result], /) -> Callable[Params, Result]: ...


@overload
def handle_user_errors(
    **on_error: Any,
) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]: ...


def handle_user_errors(resolver: Callable[..., Any] | None = None, /, **on_error: Any) -> Any:
    """Decorate a mutation resolver (under ``@strawberry.mutation``) so that a ``ValidationError``
    becomes its payload with ``errors``; ``on_error`` gives the other fields' values on failure
    (``ok=False``), where null would not do."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        handling = UserErrorHandling(resolver=function, on_error=dict(on_error))

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with _keeping() as kept:
                    try:
                        return await function(*args, **kwargs)
                    except ValidationError as error:
                        return handling.failure_payload(_errors_of(error, _info_of(args, kwargs)), kept)

            async_wrapper.user_error_handling = handling  # type: ignore[attr-defined]
            return async_wrapper

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _keeping() as kept:
                try:
                    return function(*args, **kwargs)
                except ValidationError as error:
                    return handling.failure_payload(_errors_of(error, _info_of(args, kwargs)), kept)

        wrapper.user_error_handling = handling  # type: ignore[attr-defined]
        return wrapper

    if resolver is not None:
        return decorate(resolver)
    return decorate


def user_error_handling(resolver: Callable[..., Any]) -> UserErrorHandling | None:
    """The ``handle_user_errors`` of a resolver, or None when it has none."""
    return getattr(resolver, "user_error_handling", None)
