"""Reading decoded form parameters the way Stripe validates them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stripe_fake.errors import StripeError, parameter_missing, parameter_unknown

JSON = dict[str, Any]

# Accepted on every endpoint.
COMMON = frozenset({"expand"})


def check_allowed(params: JSON, allowed: Iterable[str], prefix: str = "") -> None:
    """Stripe refuses unknown parameters; so does the fake (a typo fails here, not in production)."""
    allowed_set = set(allowed) | (COMMON if not prefix else set())
    for key in params:
        if key not in allowed_set:
            raise parameter_unknown(f"{prefix}[{key}]" if prefix else key)


def refuse_unmodelled(params: JSON, keys: Iterable[str], prefix: str = "") -> None:
    """Parameters Stripe knows that would change amounts the fake does not compute (discounts,
    taxes, extra invoice items): refused loudly rather than silently ignored."""
    for key in keys:
        value = params.get(key)
        if value in (None, "", [], {}, "false", False):
            continue
        if isinstance(value, dict) and value.get("enabled") in ("false", False):
            continue
        name = f"{prefix}[{key}]" if prefix else key
        raise StripeError(f"The fake does not model `{name}`.", param=name)


def required(params: JSON, key: str, param: str | None = None) -> Any:
    value = params.get(key)
    if value is None or value == "":
        raise parameter_missing(param or key)
    return value


def as_str(params: JSON, key: str, param: str | None = None) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise StripeError(f"Invalid string: {value!r}", param=param or key)
    return value


def as_int(params: JSON, key: str, param: str | None = None, minimum: int | None = None) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise StripeError(f"Invalid integer: {value}", param=param or key) from None
    if minimum is not None and number < minimum:
        raise StripeError(f"This value must be greater than or equal to {minimum}.", param=param or key)
    return number


def as_bool(params: JSON, key: str, param: str | None = None) -> bool | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise StripeError(f"Invalid boolean: {value}", param=param or key)


def as_dict(params: JSON, key: str, param: str | None = None) -> JSON:
    value = params.get(key)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeError("Invalid object", param=param or key)
    return value


def as_list(params: JSON, key: str, param: str | None = None) -> list[Any]:
    value = params.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        raise StripeError("Invalid array", param=param or key)
    return value if isinstance(value, list) else [value]


def expand_paths(params: JSON) -> list[str]:
    return [str(path) for path in as_list(params, "expand")]


def metadata_merge(current: dict[str, str], value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe merges metadata: ``""`` for a key deletes it, ``metadata=""`` clears everything."""
    if value is None:
        return current
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeError("Invalid object", param=param)
    merged = dict(current)
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise StripeError("Metadata values must be strings.", param=f"{param}[{key}]")
        if item == "":
            merged.pop(key, None)
        else:
            merged[str(key)] = str(item)
    if len(merged) > 50:
        raise StripeError("Metadata can have at most 50 keys.", param=param)
    return merged
