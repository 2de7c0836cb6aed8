"""Running database code in the right brand's schema, from sync and from async code.

django-tenants keeps the current schema on the thread's connection, and channels'
``database_sync_to_async`` reuses one thread for every call. A bare ``set_tenant`` in async
code therefore leaks: the next, unrelated call on that thread still runs in the previous
brand's schema. The rule: async code reaches the database only through ``run_in_tenant`` /
``run_in_public``, which run the whole function inside the schema and always leave the
thread on public.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from channels.db import database_sync_to_async
from django.db import connection
from django_tenants.postgresql_backend.base import DatabaseWrapper
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

P = ParamSpec("P")
R = TypeVar("R")


def tenant_connection() -> DatabaseWrapper:
    """The default connection, typed as django-tenants' wrapper (it is one: see DATABASES).

    Still the per-thread proxy: every attribute is read from the calling thread's connection.
    """
    return cast(DatabaseWrapper, connection)


def current_schema() -> str:
    """The schema the current thread's connection points at (``public`` or a brand's)."""
    return str(tenant_connection().schema_name)


def call_in_tenant(tenant: Any, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call ``function`` inside ``tenant``'s schema, then put the connection back on public."""
    try:
        with tenant_context(tenant):
            return function(*args, **kwargs)
    finally:
        tenant_connection().set_schema_to_public()


def call_in_public(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    try:
        with schema_context(get_public_schema_name()):
            return function(*args, **kwargs)
    finally:
        tenant_connection().set_schema_to_public()


async def run_in_tenant(tenant: Any, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """The one way async code touches a brand's data."""
    return await database_sync_to_async(call_in_tenant)(tenant, function, *args, **kwargs)


async def run_in_public(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """The one way async code touches the public schema (brands, domains, operators)."""
    return await database_sync_to_async(call_in_public)(function, *args, **kwargs)
