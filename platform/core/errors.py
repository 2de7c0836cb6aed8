"""Validation errors as services raise them: on a field, with a code from the domain's
``error_codes.py`` (the GraphQL layer turns them into ``UserError``s)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})
