"""Enqueueing Celery tasks after commit, in the schema of the brand that enqueued them."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import transaction

from core.tenancy import current_schema


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` once the current transaction commits, stamped with the current schema.

    The schema is read now, not when the commit hook runs: by then a ``tenant_context`` may
    have exited and the connection may point elsewhere.
    """
    schema_name = current_schema()

    def send() -> None:
        task.apply_async(args=args, kwargs=kwargs, headers={"_schema_name": schema_name})

    transaction.on_commit(send)
