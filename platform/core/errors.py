"""Validation errors as services raise them: on a field, with a code from the domain's
``error_codes.py`` (the GraphQL layer turns them into ``UserError``s)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def field_error(field: str, message: str, code: str, params: dict[str, str] | None = None) -> ValidationError:
    """``params`` are the specifics of the message (a minimum, a balance), written into it as
    ``%(name)s`` and also given to clients apart, so that a translated message keeps them."""
    return ValidationError({field: ValidationError(message, code=code, params=params)})
