"""Checks on raw input that every entry point shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NUL = "\x00"
INVALID_CHARACTER = "INVALID_CHARACTER"
NUL_MESSAGE = "This text contains a NUL character (U+0000), which cannot be stored. Remove it."


def nul_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path of the first string (or mapping key) holding a NUL in ``value``, else None.

    PostgreSQL text cannot hold U+0000: such a value reaching a query is a driver exception
    (an internal error) for what is the client's mistake, so entry points refuse it first.
    """
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return (*path, key)
            found = nul_path(item, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = nul_path(item, (*path, str(index)))
            if found is not None:
                return found
    return None
